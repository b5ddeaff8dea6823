// What request logs and problem bodies may show of a URL: the value of the `key` query parameter (the
// admin dashboard's one-time login, /admin/queues?key=<secret>) is replaced, however its name is
// spelled (%6Bey is "key" too, as the auth hook reads it).
function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return decodedName(name).toLowerCase() === 'key' ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, start)}?${query.join('&')}`;
}

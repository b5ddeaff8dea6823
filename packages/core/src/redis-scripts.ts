// The Lua scripts of the repositories, kept as .lua files in packages/core/lua/ (readable, and
// checked by any Lua tool) and run through ioredis's defineCommand, which sends EVALSHA and falls back
// to EVAL once per connection when Redis does not know the script yet (as BullMQ runs its own).
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Each script and how many of its arguments are keys. */
const SCRIPTS = {
  'dataset-create': 2,
  'gallery-add-photos': 3,
  'gallery-rename': 3,
  'gallery-remove': 3,
} as const;
export type ScriptName = keyof typeof SCRIPTS;

/** packages/core/lua: beside src/ and dist/, so the same relative path works from both. */
const LUA_DIRECTORY = new URL('../lua/', import.meta.url);
const sources = new Map<ScriptName, string>();

function source(name: ScriptName): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    lua = readFileSync(new URL(`${name}.lua`, LUA_DIRECTORY), 'utf8');
    sources.set(name, lua);
  }
  return lua;
}

/** A command name ioredis accepts as a method name. */
const commandOf = (name: ScriptName) => `faceshot_${name.replaceAll('-', '_')}`;

type ScriptCommand = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Runs a script on `redis` (defined on that connection the first time). */
export function runScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (keys.length !== SCRIPTS[name])
    throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, given ${keys.length}`);
  const command = commandOf(name);
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[command] !== 'function')
    redis.defineCommand(command, { numberOfKeys: SCRIPTS[name], lua: source(name) });
  return (commands[command] as ScriptCommand)(...keys, ...args);
}

// The original project's 13 people (folder name → the name a photo search finds them by).
export const SEED_PEOPLE: Record<string, string> = {
  cha_bumkeun: 'Cha Bum-kun',
  iu: 'IU singer',
  kim_hyesoo: 'Kim Hye-soo',
  kim_yuna: 'Kim Yuna',
  lee_youngpyo: 'Lee Young-pyo',
  michelle_chen: 'Michelle Chen actress',
  park_chanho: 'Park Chan-ho',
  park_jisung: 'Park Ji-sung',
  park_taehwan: 'Park Tae-hwan',
  son_heungmin: 'Son Heung-min',
  song_kangho: 'Song Kang-ho',
  takeuchi_yuko: 'Yuko Takeuchi',
  ueno_juri: 'Juri Ueno',
};

import { unstorableStrings } from './validation.pipe.js';

describe('unstorableStrings', () => {
  it('names every string field holding U+0000, nested ones by their path', () => {
    expect(
      unstorableStrings({
        name: 'a\u0000b',
        ok: 'fine',
        address: { city: '\u0000' },
        tags: ['x', 'y\u0000'],
      }),
    ).toEqual([
      { field: 'name', message: 'name must not contain NUL characters (\\u0000)' },
      { field: 'address.city', message: 'address.city must not contain NUL characters (\\u0000)' },
      { field: 'tags.1', message: 'tags.1 must not contain NUL characters (\\u0000)' },
    ]);
  });

  it('names strings that are not well-formed Unicode (a lone surrogate would be stored as U+FFFD)', () => {
    expect(unstorableStrings({ name: 'a\ud800b', ok: '\ud83d\ude00' })).toEqual([
      { field: 'name', message: 'name must be well-formed Unicode (no lone surrogates)' },
    ]);
  });

  it('passes clean values, numbers, null and the escaped text "\\u0000"', () => {
    expect(unstorableStrings({ a: 'plain', b: 1, c: null, d: '\\u0000', e: { f: true } })).toEqual(
      [],
    );
    expect(unstorableStrings(undefined)).toEqual([]);
  });
});

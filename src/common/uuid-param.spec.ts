import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';
import { uuidParamOf } from './uuid-param.js';

const candidates = [
  '7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2f',
  '7D7F5A52-1111-4C4C-9D9D-2F2F2F2F2F2F',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '01890a5d-ac96-774b-bcce-b302099a8057', // v7
  '7d7f5a52-1111-9c4c-9d9d-2f2f2f2f2f2f', // version 9
  '7d7f5a52-1111-4c4c-7d9d-2f2f2f2f2f2f', // not the RFC variant
  '7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2', // one short
  '7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2f ',
  '{7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2f}',
  '42',
  '',
];

describe('uuidParamOf', () => {
  const pipe = new ParseUUIDPipe();
  const pipeAccepts = (value: string) =>
    pipe.transform(value, { type: 'param' }).then(
      () => true,
      () => false,
    );

  it.each(candidates)('accepts %p exactly when ParseUUIDPipe does', async (value) => {
    const ours = (() => {
      try {
        return uuidParamOf({ id: value }, 'id') === value;
      } catch {
        return false;
      }
    })();
    expect(ours).toBe(await pipeAccepts(value));
  });

  it('refuses a missing or non-string parameter with the 400 that names it', () => {
    for (const params of [{}, { id: 42 }, null, undefined]) {
      let error: unknown;
      try {
        uuidParamOf(params, 'id');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(BadRequestException);
      expect((error as BadRequestException).getResponse()).toEqual({
        message: 'Validation failed',
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      });
    }
  });
});

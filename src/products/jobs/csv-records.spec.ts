import { csvRecords, type CsvRecord } from './csv-records.js';

async function parse(chunks: string[], max?: number): Promise<CsvRecord[]> {
  async function* source() {
    yield* chunks;
  }
  const records: CsvRecord[] = [];
  for await (const record of csvRecords(source(), max)) records.push(record);
  return records;
}

/** Every way of cutting the text in two chunks must give the same records. */
async function parseAllSplits(text: string): Promise<CsvRecord[]> {
  const whole = await parse([text]);
  for (let cut = 1; cut < text.length; cut++) {
    expect(await parse([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
  }
  return whole;
}

describe('csvRecords', () => {
  it('reads plain, quoted, escaped and multi-line fields, with line numbers', async () => {
    const text = 'a,b,c\n1,"x, y","say ""hi"""\n2,"two\nlines",z\r\n3,,\n';
    expect(await parseAllSplits(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', 'z'] },
      { line: 5, fields: ['3', '', ''] },
    ]);
  });

  it('handles a BOM, CRLF, a missing final newline and a quote inside unquoted text', async () => {
    expect(await parseAllSplits('\ufeffh1,h2\r\n5" tall,ok')).toEqual([
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['5" tall', 'ok'] },
    ]);
  });

  it('reports an unterminated quote at the end of the file', async () => {
    expect(await parse(['a\n"open,\nmore'])).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [], error: 'unterminated quoted field at end of file' },
    ]);
  });

  it('cuts a record that grows past the limit and resumes at the next line', async () => {
    const records = await parse(['ok\n"', 'x'.repeat(50), '\nstill quoted\n', 'next\n'], 20);
    expect(records[0]).toEqual({ line: 1, fields: ['ok'] });
    expect(records[1]).toMatchObject({ line: 2, error: expect.stringMatching(/longer than 20/) });
    // The rest of the line that overflowed is skipped; parsing goes on with the following lines.
    expect(records.slice(2)).toEqual([
      { line: 3, fields: ['still quoted'] },
      { line: 4, fields: ['next'] },
    ]);
  });
});

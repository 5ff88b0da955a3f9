export interface CsvRecord {
  /** 1-based line of the file where the record starts (quoted fields may span lines). */
  line: number;
  fields: string[];
  /** Set when the record could not be read; `fields` is then incomplete. */
  error?: string;
}

// The characters that end a run of plain field text.
const SPECIAL = /[,\n"]/g;

const countNewlines = (text: string) => {
  let n = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++;
  return n;
};

/**
 * Streams RFC 4180 records out of text chunks: quoted fields (with "" escapes, commas and line breaks),
 * CRLF or LF, a leading BOM. Field text is sliced out of the chunk in runs, not built a character at a
 * time. Memory is bounded by the longest record: a record over `maxRecordChars` (an unterminated quote,
 * say) is reported as an error and skipped to the next line instead of growing.
 */
export async function* csvRecords(
  chunks: AsyncIterable<string>,
  maxRecordChars = 1_048_576,
): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just read a closing quote (or the first of a "" pair)
  let line = 1;
  let recordLine = 1;
  let recordChars = 0;
  let skippingToEol = false;
  let atRecordStart = true;
  let first = true;

  const endRecord = (): CsvRecord => {
    if (field.endsWith('\r')) field = field.slice(0, -1);
    fields.push(field);
    const record = { line: recordLine, fields };
    fields = [];
    field = '';
    recordChars = 0;
    atRecordStart = true;
    return record;
  };
  const tooLong = (): CsvRecord => {
    const record = {
      line: recordLine,
      fields: [],
      error: `record longer than ${maxRecordChars} characters (an unterminated quote?)`,
    };
    fields = [];
    field = '';
    recordChars = 0;
    quoted = false;
    afterQuote = false;
    skippingToEol = true;
    return record;
  };

  for await (const chunk of chunks) {
    let text = chunk;
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let i = 0;
    while (i < text.length) {
      if (skippingToEol) {
        const eol = text.indexOf('\n', i);
        if (eol === -1) break;
        i = eol + 1;
        line++;
        skippingToEol = false;
        atRecordStart = true;
        continue;
      }
      if (atRecordStart) {
        atRecordStart = false;
        recordLine = line;
      }
      if (quoted) {
        const close = text.indexOf('"', i);
        const end = close === -1 ? text.length : close;
        const piece = text.slice(i, end);
        field += piece;
        line += countNewlines(piece);
        recordChars += piece.length;
        if (recordChars > maxRecordChars) {
          yield tooLong();
          continue;
        }
        if (close === -1) break;
        quoted = false;
        afterQuote = true;
        i = close + 1;
        continue;
      }
      if (afterQuote) {
        afterQuote = false;
        if (text[i] === '"') {
          // "" inside a quoted field: one literal quote, and the quoted field goes on.
          field += '"';
          quoted = true;
          i++;
          continue;
        }
      }
      SPECIAL.lastIndex = i;
      const match = SPECIAL.exec(text);
      const end = match ? match.index : text.length;
      if (end > i) {
        field += text.slice(i, end);
        recordChars += end - i;
        if (recordChars > maxRecordChars) {
          yield tooLong();
          continue;
        }
      }
      if (!match) break;
      i = end + 1;
      const c = match[0];
      if (c === ',') {
        fields.push(field);
        field = '';
      } else if (c === '\n') {
        yield endRecord();
        line++;
      } else if (field === '') {
        quoted = true;
      } else {
        field += '"'; // a quote inside unquoted text is just a character
      }
    }
  }
  if (quoted) {
    yield { line: recordLine, fields: [], error: 'unterminated quoted field at end of file' };
  } else if (!atRecordStart && !skippingToEol) {
    yield endRecord();
  }
}

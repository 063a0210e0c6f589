import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** `text` before the first byte (also when there are no rows). */
export function prefix(text: string): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first) {
        first = false;
        this.push(text);
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (first) this.push(text);
      callback();
    },
  });
}

/** RFC 4180 line ends: COPY writes LF; no field here can contain a newline. */
export function crlf(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(chunk.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'));
    },
  });
}

/**
 * JSON lines → `head` + lines joined by commas + `tail`; `afterItems` when `head` already ends
 * with array items (the first line then needs a comma too).
 */
export function jsonArray(head: string, tail: string, afterItems = false): Transform {
  let started = false;
  let pending = afterItems; // a line ended and the next one (if any) needs a comma first
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let text = chunk.toString('latin1');
      if (!started) {
        started = true;
        this.push(head);
      }
      if (pending && text.length > 0) {
        text = `,${text}`;
        pending = false;
      }
      if (text.endsWith('\n')) {
        text = text.slice(0, -1);
        pending = true;
      }
      callback(null, Buffer.from(text.replace(/\n/g, ','), 'latin1'));
    },
    flush(callback) {
      if (!started) this.push(head);
      this.push(tail);
      callback();
    },
  });
}

/** COPY text lines (values here hold no tab, newline or backslash) → `map(line)` each. */
export function lines(map: (line: string) => string): Transform {
  let rest = '';
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const text = rest + decoder.write(chunk);
      const end = text.lastIndexOf('\n');
      if (end < 0) {
        rest = text;
        callback();
        return;
      }
      rest = text.slice(end + 1);
      let out = '';
      for (const line of text.slice(0, end).split('\n')) out += map(line);
      callback(null, out);
    },
    flush(callback) {
      callback(null, rest === '' ? '' : map(rest));
    },
  });
}

// Holds widget/loader/glob.js to the Rust verdicts in a file of [pattern, path, rustMatches]
// (written by tests/loader_js.rs from random pairs): the loader's pre-filter may never reject
// a path that Rust matches, nor throw. It may match more (it is only a pre-filter).
// Run: node widget/loader/test/glob.pairs.mjs <pairs.json>
import { readFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const src = readFileSync(new URL('../glob.js', here), 'utf8');
const globMatch = new Function(src + '\nreturn globMatch;')();
const pairs = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const failures = [];
let permissive = 0;
for (const [pattern, path, rust] of pairs) {
  let got;
  try {
    got = globMatch(pattern, path);
  } catch (e) {
    got = 'threw ' + e;
  }
  if (rust && got !== true) failures.push([pattern, path, got]);
  else if (!rust && got === true) permissive++;
}

// One JSON line per failure, for the Rust side to print as vectors to keep.
for (const f of failures) console.log(JSON.stringify(f));
console.error(
  `glob.pairs.mjs: ${pairs.length - failures.length}/${pairs.length} pairs pass ` +
    `(${permissive} matched only by the JS pre-filter)`,
);
process.exit(failures.length ? 1 : 0);

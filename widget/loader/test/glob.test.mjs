// Runs the page-glob vectors shared with the Rust rules against widget/loader/glob.js.
// The loader's glob is a pre-filter: it must accept every path Rust accepts (never stricter);
// we also hold it to the same answer for the rejections, so both sides speak one grammar.
// Run: node widget/loader/test/glob.test.mjs
import { readFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const src = readFileSync(new URL('../glob.js', here), 'utf8');
const globMatch = new Function(src + '\nreturn globMatch;')();
const vectors = JSON.parse(
  readFileSync(new URL('../../../shared/vectors/glob.json', here), 'utf8'),
);

const failures = [];
let checked = 0;
const check = (ok, what) => {
  checked++;
  if (!ok) failures.push(what);
};
const run = (pattern, path) => {
  try {
    return globMatch(pattern, path);
  } catch (e) {
    return 'threw ' + e;
  }
};

for (const [pattern, path, expected] of vectors.matches) {
  const got = run(pattern, path);
  check(
    got === expected,
    (expected ? 'stricter than Rust' : 'more permissive than Rust') +
      `: globMatch(${JSON.stringify(pattern)}, ${JSON.stringify(path)}) = ${got}, Rust says ${expected}`,
  );
  // The cached RegExp must give the same answer on a second call (no lastIndex state).
  check(run(pattern, path) === got, `second call differs for ${JSON.stringify(pattern)}`);
}

// Rust refuses these patterns; the pre-filter must neither throw nor reject a path because of them.
for (const pattern of vectors.invalid) {
  for (const path of ['/', '/checkout/a', '/a b']) {
    const got = run(pattern, path);
    check(got === true, `invalid pattern ${JSON.stringify(pattern)} vs ${JSON.stringify(path)}: ${got}, want true`);
  }
}

// Not patterns at all: still no exception.
for (const pattern of [null, undefined, 42, {}, '__proto__', 'constructor']) {
  check(typeof run(pattern, '/') === 'boolean', `non-string pattern ${String(pattern)} threw`);
}

// A RegExp backtracks (Rust's NFA does not); a few stars on a long failing path stay cheap.
const t0 = Date.now();
run('/' + '*a'.repeat(4) + 'b', '/' + 'a'.repeat(60));
check(Date.now() - t0 < 1000, 'pathological pattern took over a second');

if (vectors.matches.length < 10 || vectors.invalid.length < 5) {
  failures.push('suspiciously few vectors: is shared/vectors/glob.json the right file?');
}

for (const f of failures) console.error('FAIL ' + f);
console.log(
  `glob.test.mjs: ${checked - failures.length}/${checked} checks passed ` +
    `(${vectors.matches.length} match vectors, ${vectors.invalid.length} invalid patterns)`,
);
process.exit(failures.length ? 1 : 0);

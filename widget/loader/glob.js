// Page globs, the grammar of shared/src/rules/glob.rs. This is only a pre-filter: for any
// pattern Rust accepts it must match at least what Rust matches (shared/vectors/glob.json),
// and a pattern Rust refuses matches everything rather than throwing.
// No regex literals or template strings here: the build's token-level minifier is simpler
// that way.

const globCache = new Map();

function globRegExp(p) {
  const c = Array.from(p); // code points, as Rust's chars
  let s = '', ch, neg, first, cls;
  // Every literal becomes \u{..}: no escaping rules to get wrong under the 'u' flag.
  const lit = x => '\\u{' + x.codePointAt(0).toString(16) + '}';
  const next = () => {
    if (!c.length) throw 0;
    return c.shift();
  };
  if (!c.length || c.length > 256 || (c[0] != '/' && c[0] != '*')) throw 0;
  while (c.length) {
    ch = c.shift();
    if (ch == '*') {
      if (c[0] == '*') {
        c.shift();
        if (c[0] == '*') throw 0;
        s += '[^]*';
      } else {
        s += '[^/]*';
      }
    } else if (ch == '?') {
      s += '[^/]';
    } else if (ch == '[') {
      neg = c[0] == '!' || c[0] == '^';
      if (neg) c.shift();
      first = 1;
      cls = '';
      while ((ch = next()) != ']' || first) {
        first = 0;
        if (ch == '\\') ch = next();
        if (ch == '/') throw 0;
        cls += lit(ch);
        if (c[0] == '-' && c.length > 1 && c[1] != ']') {
          // A backwards range makes RegExp throw, as Rust refuses it.
          c.shift();
          cls += '-' + lit(c.shift());
        }
      }
      // A class never matches '/', even [!a] or a range spanning it.
      s += '(?!/)[' + (neg ? '^' : '') + cls + ']';
    } else {
      if (ch == '\\') ch = next();
      // What Rust refuses outside a class: a stray ']', a fragment, whitespace, controls.
      else if (ch == ']' || ch == '#' || ch < ' ' || !ch.trim()) throw 0;
      s += lit(ch);
    }
  }
  return new RegExp('^' + s + '$', 'u');
}

function globMatch(pattern, path) {
  let re = globCache.get(pattern);
  if (re === undefined) {
    try {
      re = globRegExp(pattern);
    } catch (e) {
      re = null;
    }
    globCache.set(pattern, re);
  }
  return re ? re.test(path) : true;
}

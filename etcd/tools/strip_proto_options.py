#!/usr/bin/env python3
"""Strip the Go-only parts of etcd's .proto files so protoc can compile them.

etcd's protos import gogoproto/gogo.proto (Go code-generation options) and
google/api/annotations.proto (grpc-gateway HTTP routes). Neither changes the
wire format, and neither file is installed by Debian's protobuf packages, so
this step removes:
  * `import "gogoproto/..."` and `import "google/api/..."` lines;
  * file-level `option (gogoproto.xxx) = ...;` statements;
  * `option (google.api.http) = { ... };` blocks inside rpc bodies
    (they may span several lines; braces are counted);
  * `(gogoproto.xxx) = value` entries inside field options `[...]`
    (the brackets go too when nothing else is left in them).
Everything else is copied byte for byte.

Usage: strip_proto_options.py IN OUT
"""
import re
import sys

_IMPORT = re.compile(r'^\s*import\s+"(gogoproto|google/api)/[^"]*"\s*;\s*$')
_FILE_OPTION = re.compile(r'^\s*option\s+\(gogoproto\.[A-Za-z_]+\)\s*=\s*[^;]*;\s*$')
_HTTP_OPTION = re.compile(r'option\s+\(google\.api\.http\)\s*=\s*\{')
_FIELD_OPTS = re.compile(r'\[([^\[\]]*)\]')
_GOGO_ENTRY = re.compile(r'^\s*\(gogoproto\.[A-Za-z_]+\)\s*=\s*("([^"\\]|\\.)*"|[^,]*)\s*$')


def _split_options(body):
    """Split a field-option list on commas that are outside string literals."""
    parts, cur, in_str, esc = [], [], False, False
    for ch in body:
        if in_str:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == '\\':
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            cur.append(ch)
        elif ch == ',':
            parts.append(''.join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append(''.join(cur))
    return parts


def _strip_field_options(line):
    def repl(m):
        kept = [p.strip() for p in _split_options(m.group(1)) if not _GOGO_ENTRY.match(p)]
        kept = [p for p in kept if p]
        return '[' + ', '.join(kept) + ']' if kept else ''
    out = _FIELD_OPTS.sub(repl, line)
    if out != line:
        out = re.sub(r'\s+;', ';', out)
    return out


def strip(text):
    out, depth = [], 0
    for line in text.splitlines(keepends=True):
        if depth > 0:  # inside an option (google.api.http) = { ... } block
            depth += line.count('{') - line.count('}')
            if depth < 0:
                raise ValueError('unbalanced braces in a google.api.http option')
            continue
        if _IMPORT.match(line) or _FILE_OPTION.match(line):
            continue
        m = _HTTP_OPTION.search(line)
        if m:
            depth = line.count('{') - line.count('}')
            prefix = line[:m.start()]
            if prefix.strip():
                out.append(prefix.rstrip() + '\n')
            continue
        if '(gogoproto.' in line:
            line = _strip_field_options(line)
        out.append(line)
    if depth != 0:
        raise ValueError('unterminated google.api.http option block')
    result = ''.join(out)
    if 'gogoproto' in result or 'google.api' in result:
        raise ValueError('a gogoproto/google.api reference survived stripping')
    return result


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: strip_proto_options.py IN OUT\n')
        return 2
    try:
        with open(argv[1], encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        sys.stderr.write(f'strip_proto_options.py: cannot read {argv[1]!r}: {e.strerror}\n')
        return 2
    try:
        result = strip(text)
    except ValueError as e:
        sys.stderr.write(f'strip_proto_options.py: {argv[1]}: {e}\n')
        return 1
    with open(argv[2], 'w', encoding='utf-8') as f:
        f.write(result)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Generates the packaged manual pages and shell completions from the two
sources the rest of the project already keeps true (docs/deployment.md:
"Manual pages and completions"):

  circuitwatch.8          `circuitwatch --help`, then `circuitwatch CMD --help`
                          for every command that --help lists
  circuitwatch.yaml.5     docs/configuration.md (the configuration reference)
  circuitwatch.bash       bash completion: the commands and their options
  _circuitwatch           zsh completion: the same

usage: gen_docs.py BINARY CONFIGURATION_MD OUTDIR VERSION DATE

Nothing here knows a command or an option by name: a command added to the
command table, or an option added to a command's help, appears in the next
build's man page and completions by itself. The man pages are written
gzip-compressed (-9, no name or time stamp: reproducible), as Debian wants.
"""
import gzip
import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w.-]*)")


def run_help(binary, *args):
    """The text a help invocation prints (stdout, else stderr)."""
    p = subprocess.run([binary, *args], capture_output=True, text=True,
                       env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return p.stdout or p.stderr


# ---- the help text's structure -------------------------------------------

def parse_help(text):
    """Blocks of a help text: ('usage', line), ('para', text) and
    ('list', heading, [(term, description)]). A list starts with an
    unindented line ending in ':'; its items are indented 2..6 spaces, their
    description follows after two spaces or on deeper-indented lines."""
    blocks, para, items, heading = [], [], None, None

    def flush():
        nonlocal para, items
        if para:
            blocks.append(("para", " ".join(para)))
        if items is not None:
            blocks.append(("list", heading, items))
        para, items = [], None

    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if not body:
            if items is None:
                flush()
            continue
        if indent == 0 and body.startswith("usage:"):
            flush()
            blocks.append(("usage", body[len("usage:"):].strip()))
        elif indent == 0 and body.endswith(":") and not para:
            flush()
            heading, items = body[:-1], []
        elif items is not None and 2 <= indent <= 6:
            term, desc = (re.split(r"\s{2,}", body, maxsplit=1) + [""])[:2]
            items.append([term.strip(), desc.strip()])
        elif items is not None and indent > 6 and items:
            items[-1][1] = (items[-1][1] + " " + body).strip()
        else:
            if items is not None or (indent == 0 and re.match(r"[a-z][\w ]*: ", body)):
                flush()
            para.append(body)
    flush()
    return blocks


def commands_of(blocks):
    """The command names of the top-level help's 'commands' list."""
    for b in blocks:
        if b[0] == "list" and b[1].lower().startswith("command"):
            return [t.split()[0] for t, _ in b[2] if re.match(r"[a-z]", t)]
    return []


def options_of(text):
    """Every option a help text names, in order, once."""
    seen = []
    for o in OPTION.findall(text):
        o = o.rstrip(".")
        if o not in seen and o not in ("-", "--"):
            seen.append(o)
    return seen


# ---- roff -----------------------------------------------------------------

def esc(text):
    """Plain text as roff: backslashes and minus signs escaped."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def line(text):
    """A roff text line that cannot be taken for a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def inline_md(text):
    """Markdown's inline marks as roff fonts; links keep their text."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if len(p) >= 2 and p.startswith("`") and p.endswith("`"):
            out.append("\\fB" + esc(p[1:-1]) + "\\fR")
        else:
            p = esc(p)
            p = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", p)
            p = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", p)
            out.append(p)
    return "".join(out)


def th(name, section, date, version, manual):
    return [f'.TH "{name.upper()}" "{section}" "{date}" "circuitwatch {version}" "{manual}"']


# ---- circuitwatch(8) -------------------------------------------------------

def blocks_roff(blocks, skip_usage=False):
    out = []
    for b in blocks:
        if b[0] == "usage":
            if not skip_usage:
                out += [".PP", line("\\fB" + esc(b[1]) + "\\fR")]
        elif b[0] == "para":
            m = re.match(r"([a-z][\w ]*): (.*)", b[1])
            if m:
                out += [".PP", line("\\fI" + esc(m.group(1)) + ":\\fR " + esc(m.group(2)))]
            else:
                out += [".PP", line(esc(b[1]))]
        else:
            out += [".PP", line("\\fI" + esc(b[1]) + ":\\fR")]
            for term, desc in b[2]:
                out += [".TP", line("\\fB" + esc(term) + "\\fR"), line(esc(desc))]
    return out


def man8(binary, version, date):
    top = run_help(binary, "--help")
    blocks = parse_help(top)
    cmds = commands_of(blocks)
    out = th("circuitwatch", 8, date, version, "System Administration")
    out += [".SH NAME",
            "circuitwatch \\- private WAN circuit monitoring daemon "
            "(BGP, BMP, capture, probes, billing)",
            ".SH SYNOPSIS"]
    usage = next((b[1] for b in blocks if b[0] == "usage"), "circuitwatch")
    out += [line("\\fB" + esc(usage) + "\\fR")]
    desc = [b for b in blocks if b[0] != "usage" and not
            (b[0] == "list" and b[1].lower().startswith("command"))]
    out += [".SH DESCRIPTION"] + blocks_roff(desc)
    out += [".SH COMMANDS"]
    per_cmd = {}
    for c in cmds:
        text = run_help(binary, c, "--help")
        per_cmd[c] = text
        out += [".SS " + esc(c)] + blocks_roff(parse_help(text))
    out += [".SH FILES",
            ".TP", "\\fI/etc/circuitwatch/circuitwatch.yaml\\fR",
            "the configuration (see \\fBcircuitwatch.yaml\\fR(5)); "
            "readable by root and the circuitwatch group only",
            ".TP", "\\fI/var/lib/circuitwatch\\fR",
            "the state directory: billing state, the Kafka spool",
            ".TP", "\\fI/usr/share/doc/circuitwatch/\\fR",
            "the documentation and example configurations",
            ".SH SEE ALSO",
            "\\fBcircuitwatch.yaml\\fR(5), \\fBsystemctl\\fR(1)"]
    return "\n".join(out) + "\n", top, per_cmd, cmds


# ---- circuitwatch.yaml(5) --------------------------------------------------

def table_roff(rows):
    head = [c.strip() for c in rows[0]]
    out = []
    for r in rows[2:]:
        cells = [c.strip() for c in r]
        out += [".TP", line(inline_md(cells[0]))]
        rest = ["\\fI" + esc(h) + ":\\fR " + inline_md(c)
                for h, c in zip(head[1:], cells[1:]) if c]
        if rest:
            out.append(line("; ".join(rest)))
    return out


def split_row(row):
    row = row.strip().strip("|")
    cells, cur, code = [], "", False
    for ch in row:
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur)
            cur = ""
        else:
            cur += ch
    cells.append(cur)
    return cells


def man5(md, version, date):
    out = th("circuitwatch.yaml", 5, date, version, "File Formats")
    out += [".SH NAME", "circuitwatch.yaml \\- circuitwatch configuration file",
            ".SH SYNOPSIS", "\\fI/etc/circuitwatch/circuitwatch.yaml\\fR",
            ".SH DESCRIPTION"]
    lines = md.splitlines()
    i, para = 0, []

    def flush():
        nonlocal para
        if para:
            out.extend([".PP", line(inline_md(" ".join(para)))])
        para = []

    while i < len(lines):
        ln = lines[i]
        s = ln.strip()
        if s.startswith("```"):
            flush()
            out += [".PP", ".RS 4", ".nf"]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                out.append(line(esc(lines[i])))
                i += 1
            out += [".fi", ".RE"]
        elif s.startswith("# "):
            flush()
        elif s.startswith("## "):
            flush()
            out.append('.SH "' + esc(s[3:].replace("`", "")).upper().replace('"', "") + '"')
        elif s.startswith("### ") or s.startswith("#### "):
            flush()
            out.append('.SS "' + inline_md(s.lstrip("#").strip()).replace('"', "") + '"')
        elif s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            out += table_roff(rows)
            continue
        elif re.match(r"[-*] |\d+\. ", s):
            flush()
            item = [re.sub(r"^([-*]|\d+\.) ", "", s)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                    and not re.match(r"\s*([-*]|\d+\.) ", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out += [".IP \\(bu 2", line(inline_md(" ".join(item)))]
            continue
        elif not s:
            flush()
        else:
            para.append(s)
        i += 1
    flush()
    out += [".SH FILES", "\\fI/usr/share/doc/circuitwatch/examples/\\fR: commented examples",
            ".SH SEE ALSO", "\\fBcircuitwatch\\fR(8)"]
    return "\n".join(out) + "\n"


# ---- completions ----------------------------------------------------------

def bash_completion(cmds, globals_, per_cmd):
    cases = "\n".join(f"        {c}) opts=\"{' '.join(per_cmd[c])}\" ;;" for c in cmds)
    return f"""# bash completion for circuitwatch(8); generated by deploy/debian/gen_docs.py
# from `circuitwatch --help` and each command's --help.
_circuitwatch() {{
    local cur cmd opts i
    cur=${{COMP_WORDS[COMP_CWORD]}}
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${{COMP_WORDS[i]}} in
            -*) ;;
            *) cmd=${{COMP_WORDS[i]}}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "{' '.join(globals_)}" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "{' '.join(cmds)}" -- "$cur"))
        fi
        return 0
    fi
    case $cmd in
{cases}
        *) opts= ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts {' '.join(globals_)}" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
}}
complete -o filenames -F _circuitwatch circuitwatch
"""


def zsh_quote(text):
    """Text inside a single-quoted _arguments spec or _describe entry."""
    return text.replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]")


def option_specs(blocks, skip_global=True):
    """{option: (description, argument or '')} from a help's option lists."""
    specs = {}
    for b in blocks:
        if b[0] != "list" or b[1].lower().startswith("command") or \
                (skip_global and b[1].startswith("global")):
            continue
        for term, desc in b[2]:
            opts = [o for o in OPTION.findall(term)]
            arg = " ".join(w for w in term.replace(",", " ").split() if w not in opts)
            for o in opts:
                specs[o] = (desc, arg)
    return specs


def zsh_spec(opt, specs):
    desc, arg = specs.get(opt, ("", ""))
    spec = f"'{opt}[{zsh_quote(desc)}]"
    if arg:  # the argument: a file name completes as one, anything else shows its name
        action = "_files" if arg in ("FILE", "FILE|-") else " "
        spec += f":{zsh_quote(arg.lower()).replace(':', chr(92) + ':')}:{action}"
    return spec + "'"


def zsh_completion(cmds, summaries, globals_, per_cmd, specs):
    desc = "\n".join(f"    '{c}:{zsh_quote(summaries.get(c, c))}'" for c in cmds)
    cases = "\n".join(
        f"        {c}) _arguments " + " ".join(zsh_spec(o, specs[c]) for o in per_cmd[c])
        + " '*:file:_files' ;;" for c in cmds)
    gspecs = " ".join(zsh_spec(o, specs[""]) for o in globals_)
    return f"""#compdef circuitwatch
# zsh completion for circuitwatch(8); generated by deploy/debian/gen_docs.py
# from `circuitwatch --help` and each command's --help.
_circuitwatch() {{
  local context state state_descr line
  local -a commands
  typeset -A opt_args
  commands=(
{desc}
  )
  _arguments -C {gspecs} \\
    '1:command:->command' '*::arg:->args'
  case $state in
    command) _describe -t commands 'circuitwatch command' commands ;;
    args)
      case $words[1] in
{cases}
      esac ;;
  esac
}}
_circuitwatch "$@"
"""


def write_gz(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(text.encode())


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    binary, md_path, outdir, version, date = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    page8, top, per_cmd_text, cmds = man8(binary, version, date)
    if not cmds:  # a changed help layout: say so, and still write what there is
        print("gen_docs.py: warning: no 'commands:' list in `circuitwatch --help`; "
              "the man page and completions name no command", file=sys.stderr)
    write_gz(os.path.join(outdir, "circuitwatch.8.gz"), page8)
    with open(md_path, encoding="utf-8") as f:
        write_gz(os.path.join(outdir, "circuitwatch.yaml.5.gz"), man5(f.read(), version, date))
    blocks = parse_help(top)
    glob_block = [b for b in blocks if b[0] == "list" and "option" in b[1].lower()]
    globals_ = options_of("\n".join(t for b in glob_block for t, _ in b[2]))
    summaries = {}
    for b in blocks:
        if b[0] == "list" and b[1].lower().startswith("command"):
            summaries = {t.split()[0]: d for t, d in b[2]}
    per_cmd = {}
    for c in cmds:
        opts_text = "\n".join(t for b in parse_help(per_cmd_text[c])
                              if b[0] == "list" and not b[1].startswith("global")
                              for t, _ in b[2])
        usage = next((b[1] for b in parse_help(per_cmd_text[c]) if b[0] == "usage"), "")
        per_cmd[c] = [o for o in options_of(opts_text + "\n" + usage) if o not in globals_]
    with open(os.path.join(outdir, "circuitwatch.bash"), "w") as f:
        f.write(bash_completion(cmds, globals_, per_cmd))
    specs = {c: option_specs(parse_help(per_cmd_text[c])) for c in cmds}
    specs[""] = option_specs(glob_block, skip_global=False)
    with open(os.path.join(outdir, "_circuitwatch"), "w") as f:
        f.write(zsh_completion(cmds, summaries, globals_, per_cmd, specs))


if __name__ == "__main__":
    main()

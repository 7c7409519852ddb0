"""A small, safe, deterministic Markdown renderer. This docstring is the exact grammar; a port must
reproduce these bytes.

Escaping. esc(s) replaces & < > " ' with &amp; &lt; &gt; &quot; &#x27;. Every character of the input
reaches the output through esc() or as part of a tag written below; no raw HTML passes through.

Input. "\\r\\n" and "\\r" become "\\n"; each tab becomes four spaces. The text is split on "\\n" into lines.
A blank line is empty or only spaces. indent(line) is its number of leading spaces.

Blocks. Parsed top-down from a list of lines at a depth (0 at the top). At each position:
 1. blank line: skipped.
 2. fenced code: /^ {0,3}```([A-Za-z0-9_+-]*) *$/ opens; lines up to a line /^ {0,3}``` *$/ (or the end)
    are its content, verbatim. Output <pre><code>C</code></pre> or, with a language L,
    <pre><code class="language-L">C</code></pre>, where C is esc(line) + "\\n" for each content line.
 3. indented code: indent >= 4. Takes following lines while they are blank or have indent >= 4, then
    drops trailing blank lines. Each line loses up to 4 leading spaces. Output as fenced code, no class.
 4. heading: /^ {0,3}(#{1,6}) +(.*\\S) *$/ gives <hN>inline(text)</hN>, N the number of #.
 5. blockquote (only while depth < 8): /^ {0,3}>/ starts it; it takes the following lines while they
    match too. Each loses /^ {0,3}> ?/; the rest is parsed as blocks at depth + 1.
    Output <blockquote>\\n + blocks + \\n</blockquote> (an empty quote: <blockquote>\\n</blockquote>).
 6. list (only while depth < 8): an item line is /^( {0,3})([-+*]|[0-9]{1,9}\\.) +(\\S.*)$/. The first
    item sets B (its indent) and the kind: ul for - + *, ol for numbers. An item's content starts with
    its text (group 3) and takes the following lines that have indent >= B + 2, each losing
    min(indent, C) leading spaces with C = B + len(marker) + 1; blank lines are taken too when the next
    non-blank line has indent >= B + 2. The list goes on with the next item when the next non-blank
    line is an item line of the same kind with indent < B + 2; otherwise it ends. An item's content is
    parsed as blocks at depth + 1; a paragraph that comes first in an item is written without <p></p>.
    Output <ul>\\n or <ol>\\n (<ol start="N">\\n when the first number N, as an integer, is not 1), then
    <li> + blocks joined by \\n + </li> for each item joined by \\n, then \\n</ul> or \\n</ol>.
 7. paragraph: otherwise. Takes following lines until a blank line or a line that starts a fence
    (2), heading (4), blockquote (5) or list item (6), as recognized at this depth. Output <p>inline</p>.
Blocks are joined with "\\n"; the document has no trailing newline; empty input gives "".

Paragraph lines. Each line loses its leading spaces. Every line but the last that ends with a backslash
loses it, and one that ends with two or more spaces loses them: both end with a hard break. Remaining
trailing spaces are removed. Lines are joined by a hard break ("<br>\\n") or a newline.

Inline, in three passes over one paragraph or heading.
 Pass 1, per line, left to right, makes tokens:
  - backslash + ASCII punctuation: that character, literal (never syntax);
  - a run of n backticks starting here: if a maximal run of exactly n backticks starts later on the
    line, a code span: the text between with each newline made a space, and one leading and one
    trailing space removed when both exist and it is not all spaces; <code>esc(text)</code>. Otherwise
    the n backticks are literal text;
  - <URL> where URL is (http://|https://|mailto:, case-insensitive) then one or more URL characters:
    the autolink <a href="esc(URL)">esc(URL)</a>. URL characters: A-Z a-z 0-9 and -._~:/?#@!$&*+,;=%;
  - any other character: a plain character token (a lone < is plain text).
  Lines are joined by a break token or a plain "\\n".
 Pass 2, links: a plain [ whose next plain [ or ] is a ], with at least one token between, followed
  by a plain ( then one or more plain URL characters then a plain ), where the URL starts with
  http://, https:// or mailto: (case-insensitive), is a link <a href="esc(URL)">text</a>. Its text
  tokens get pass 3 on their own. Anything else stays as it is.
 Pass 3, emphasis: a delimiter run is a maximal sequence of plain * tokens (a link splits runs). Runs of
  3 or more are literal. The character before a run and after it is "space" when it is a space, a
  newline, a break, or the edge of the text (or of a link's text); any other token (a literal, a code span, a link) is not.
  A run can open when the token after it is not space, and close when the token before it is not space.
  Runs are visited left to right with one stack of openers per length (1 and 2): a run that can close
  and finds an opener on its own length's stack pairs with the top one, and openers of the other length
  that came after that one are dropped from their stack (they stay literal); otherwise a run that can
  open is pushed; otherwise it is literal. Paired runs of 1 are <em></em>, of 2 <strong></strong>;
  unpaired runs are literal asterisks.
 Output: plain and literal characters through esc(); code spans, autolinks and links as above.
"""
import bisect
import re

MAX_DEPTH = 8
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&*+,;=%")
_SCHEMES = ("http://", "https://", "mailto:")
_FENCE_OPEN = re.compile(r" {0,3}```([A-Za-z0-9_+-]*) *")
_FENCE_CLOSE = re.compile(r" {0,3}``` *")
_HEADING = re.compile(r" {0,3}(#{1,6}) +(.*\S) *")
_QUOTE = re.compile(r" {0,3}>")
_QUOTE_PREFIX = re.compile(r" {0,3}> ?")
_ITEM = re.compile(r"( {0,3})([-+*]|[0-9]{1,9}\.) +(\S.*)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+)>", re.IGNORECASE)

# Token kinds: PLAIN characters may be syntax; LITERAL ones never are; HTML is finished output.
PLAIN, LITERAL, HTML, BREAK = "plain", "literal", "html", "break"


def esc(text):
    return "".join(_ESCAPES.get(char, char) for char in text)


def render(source):
    """Markdown source to safe HTML, e.g. render("*hi* <b>") == "<p><em>hi</em> &lt;b&gt;</p>"."""
    text = source.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "\n".join(_blocks(text.split("\n"), 0))


def _blank(line):
    return line.strip(" ") == ""


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _blocks(lines, depth):
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if _blank(line):
            i += 1
        elif fence := _FENCE_OPEN.fullmatch(line):
            i = _fenced(lines, i, fence.group(1), out)
        elif _indent(line) >= 4:
            i = _indented(lines, i, out)
        elif heading := _HEADING.fullmatch(line):
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline([heading.group(2)])}</h{level}>")
            i += 1
        elif depth < MAX_DEPTH and _QUOTE.match(line):
            i = _blockquote(lines, i, depth, out)
        elif depth < MAX_DEPTH and _ITEM.fullmatch(line):
            i = _list(lines, i, depth, out)
        else:
            i = _paragraph(lines, i, depth, out)
    return out


def _code_html(content_lines, language=""):
    attribute = f' class="language-{language}"' if language else ""
    return f"<pre><code{attribute}>" + "".join(esc(line) + "\n" for line in content_lines) + "</code></pre>"


def _fenced(lines, i, language, out):
    end = i + 1
    while end < len(lines) and not _FENCE_CLOSE.fullmatch(lines[end]):
        end += 1
    out.append(_code_html(lines[i + 1:end], language))
    return end + 1


def _indented(lines, i, out):
    end = i
    while end < len(lines) and (_blank(lines[end]) or _indent(lines[end]) >= 4):
        end += 1
    last = end
    while _blank(lines[last - 1]):
        last -= 1
    out.append(_code_html([line[min(4, _indent(line)):] for line in lines[i:last]]))
    return end


def _blockquote(lines, i, depth, out):
    end = i
    while end < len(lines) and _QUOTE.match(lines[end]):
        end += 1
    inner = _blocks([_QUOTE_PREFIX.sub("", line, count=1) for line in lines[i:end]], depth + 1)
    out.append("<blockquote>\n" + "".join(block + "\n" for block in inner) + "</blockquote>")
    return end


def _is_ordered(marker):
    return marker[0].isdigit()


def _list(lines, i, depth, out):
    first = _ITEM.fullmatch(lines[i])
    base, ordered = len(first.group(1)), _is_ordered(first.group(2))
    items = []
    while True:
        item = _ITEM.fullmatch(lines[i])
        content_column = base + len(item.group(2)) + 1
        content, i = [item.group(3)], i + 1
        while i < len(lines):
            if _blank(lines[i]):
                following = _next_nonblank(lines, i)
                if following == len(lines) or _indent(lines[following]) < base + 2:
                    break
                content.extend("" for _ in range(i, following))
                i = following
            elif _indent(lines[i]) >= base + 2:
                content.append(lines[i][min(_indent(lines[i]), content_column):])
                i += 1
            else:
                break
        items.append(_item_html(content, depth + 1))
        following = _next_nonblank(lines, i)
        sibling = following < len(lines) and _ITEM.fullmatch(lines[following])
        if not (sibling and _indent(lines[following]) < base + 2 and _is_ordered(sibling.group(2)) == ordered):
            break
        i = following
    start = int(first.group(2)[:-1]) if ordered else 1
    tag = "ol" if ordered else "ul"
    opening = f'<ol start="{start}">' if start != 1 else f"<{tag}>"
    out.append(opening + "\n" + "\n".join(items) + f"\n</{tag}>")
    return i


def _next_nonblank(lines, i):
    while i < len(lines) and _blank(lines[i]):
        i += 1
    return i


def _item_html(content, depth):
    blocks = _blocks(content, depth)
    if blocks and blocks[0].startswith("<p>"):
        blocks[0] = blocks[0][3:-4]
    return "<li>" + "\n".join(blocks) + "</li>"


def _starts_block(line, depth):
    if _FENCE_OPEN.fullmatch(line) or _HEADING.fullmatch(line):
        return True
    return depth < MAX_DEPTH and bool(_QUOTE.match(line) or _ITEM.fullmatch(line))


def _paragraph(lines, i, depth, out):
    end = i + 1
    while end < len(lines) and not _blank(lines[end]) and not _starts_block(lines[end], depth):
        end += 1
    out.append("<p>" + _inline([line.lstrip(" ") for line in lines[i:end]]) + "</p>")
    return end


def _inline(lines):
    tokens = []
    for number, line in enumerate(lines):
        is_last = number == len(lines) - 1
        hard_break = False
        if not is_last and line.endswith("\\"):
            line, hard_break = line[:-1], True
        elif not is_last and line.endswith("  "):
            hard_break = True
        tokens.extend(_scan(line.rstrip(" ")))
        if not is_last:
            tokens.append((BREAK, "<br>\n") if hard_break else (PLAIN, "\n"))
    return _emphasis(_links(tokens))


def _backtick_runs(line):
    """{length: sorted start positions} of the maximal backtick runs of a line."""
    runs, i = {}, 0
    while i < len(line):
        if line[i] == "`":
            start = i
            while i < len(line) and line[i] == "`":
                i += 1
            runs.setdefault(i - start, []).append(start)
        else:
            i += 1
    return runs


def _scan(line):
    tokens, runs, i = [], None, 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line) and line[i + 1] in _ASCII_PUNCTUATION:
            tokens.append((LITERAL, line[i + 1]))
            i += 2
        elif char == "`":
            runs = runs if runs is not None else _backtick_runs(line)
            length = len(line) - i - len(line[i:].lstrip("`"))
            starts = runs.get(length, [])
            closer = bisect.bisect_right(starts, i + length - 1)
            if closer < len(starts) and starts[closer] >= i + length:
                tokens.append((HTML, _code_span(line[i + length:starts[closer]])))
                i = starts[closer] + length
            else:
                tokens.extend((LITERAL, "`") for _ in range(length))
                i += length
        elif char == "<" and (link := _AUTOLINK.match(line, i)):
            url = esc(link.group(1))
            tokens.append((HTML, f'<a href="{url}">{url}</a>'))
            i = link.end()
        else:
            tokens.append((PLAIN, char))
            i += 1
    return tokens


def _code_span(text):
    text = text.replace("\n", " ")
    if len(text) >= 2 and text[0] == " " and text[-1] == " " and text.strip(" "):
        text = text[1:-1]
    return f"<code>{esc(text)}</code>"


def _is_plain(token, char):
    return token[0] == PLAIN and token[1] == char


def _links(tokens):
    """Replace [text](url) with ("link", url, text tokens); a one-pass scan with precomputed brackets."""
    next_bracket, following = [len(tokens)] * (len(tokens) + 1), len(tokens)
    for index in range(len(tokens) - 1, -1, -1):
        next_bracket[index] = following
        if tokens[index][0] == PLAIN and tokens[index][1] in "[]":
            following = index
    out, i = [], 0
    while i < len(tokens):
        link = _is_plain(tokens[i], "[") and _link_at(tokens, i, next_bracket[i])
        if link:
            url, close = link
            out.append(("link", url, tokens[i + 1:next_bracket[i]]))
            i = close + 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def _link_at(tokens, opener, bracket):
    """(url, index of the closing paren) when a link starts at opener, else None."""
    if bracket >= len(tokens) or bracket == opener + 1 or not _is_plain(tokens[bracket], "]"):
        return None
    if bracket + 1 >= len(tokens) or not _is_plain(tokens[bracket + 1], "("):
        return None
    end = bracket + 2
    while end < len(tokens) and tokens[end][0] == PLAIN and tokens[end][1] in _URL_CHARS:
        end += 1
    if end == bracket + 2 or end >= len(tokens) or not _is_plain(tokens[end], ")"):
        return None
    url = "".join(token[1] for token in tokens[bracket + 2:end])
    return (url, end) if url.lower().startswith(_SCHEMES) else None


def _is_space(token):
    return token is None or token[0] == BREAK or (token[0] == PLAIN and token[1] in " \n")


def _emphasis(tokens):
    runs, i = [], 0
    while i < len(tokens):
        if _is_plain(tokens[i], "*"):
            start = i
            while i < len(tokens) and _is_plain(tokens[i], "*"):
                i += 1
            before = tokens[start - 1] if start > 0 else None
            after = tokens[i] if i < len(tokens) else None
            runs.append([start, i - start, not _is_space(after), not _is_space(before)])
        else:
            i += 1
    tags = {}  # run start -> tag
    stacks = {1: [], 2: []}
    for start, length, can_open, can_close in runs:
        if length > 2:
            continue
        own, other = stacks[length], stacks[3 - length]
        if can_close and own:
            opener = own.pop()
            while other and other[-1] > opener:
                other.pop()
            name = "em" if length == 1 else "strong"
            tags[opener], tags[start] = f"<{name}>", f"</{name}>"
        elif can_open:
            own.append(start)
    out, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        if i in tags:
            out.append(tags[i])
            i += 1 if tags[i] in ("<em>", "</em>") else 2
            continue
        if token[0] == "link":
            out.append(f'<a href="{esc(token[1])}">{_emphasis(token[2])}</a>')
        elif token[0] in (HTML, BREAK):
            out.append(token[1])
        else:
            out.append(esc(token[1]))
        i += 1
    return "".join(out)

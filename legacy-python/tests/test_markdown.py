"""The markdown subset: each rule of the grammar in forum/markdown.py, and what must never get through."""
import re
import sys
import unittest

from forum.markdown import render


class BlocksTest(unittest.TestCase):
    def test_paragraphs_are_separated_by_blank_lines_and_soft_breaks_kept(self):
        self.assertEqual(render("one\ntwo\n\n\nthree"), "<p>one\ntwo</p>\n<p>three</p>")

    def test_two_trailing_spaces_or_a_backslash_make_a_hard_break(self):
        self.assertEqual(render("a  \nb\\\nc  "), "<p>a<br>\nb<br>\nc</p>")

    def test_empty_or_blank_input_renders_nothing(self):
        self.assertEqual(render(""), "")
        self.assertEqual(render(" \n\t\n"), "")

    def test_line_endings_and_tabs_are_normalized(self):
        self.assertEqual(render("a\r\nb\rc"), "<p>a\nb\nc</p>")
        self.assertEqual(render("\tcode"), "<pre><code>code\n</code></pre>")

    def test_headings_one_to_six_need_a_space(self):
        self.assertEqual(render("# One\n###### Six"), "<h1>One</h1>\n<h6>Six</h6>")
        self.assertEqual(render("#no\n####### seven"), "<p>#no\n####### seven</p>")

    def test_fenced_code_is_verbatim_and_escaped_with_an_optional_language(self):
        self.assertEqual(render("```js\nif (a < b) { *x* }\n\n```"),
                         '<pre><code class="language-js">if (a &lt; b) { *x* }\n\n</code></pre>')
        self.assertEqual(render("```\nopen to the end"), "<pre><code>open to the end\n</code></pre>")

    def test_a_fence_language_cannot_inject_attributes(self):
        self.assertEqual(render('```js" onclick="x\ncode\n```'),
                         '<p>```js&quot; onclick=&quot;x\ncode</p>\n<pre><code></code></pre>')

    def test_indented_code_drops_four_spaces_and_trailing_blank_lines(self):
        self.assertEqual(render("    a\n      b\n\n    c\n\n\ntext"), "<pre><code>a\n  b\n\nc\n</code></pre>\n<p>text</p>")

    def test_indentation_does_not_interrupt_a_paragraph(self):
        self.assertEqual(render("text\n    more"), "<p>text\nmore</p>")

    def test_blockquotes_nest_and_hold_blocks(self):
        self.assertEqual(render("> # Title\n> text\n>> inner"),
                         "<blockquote>\n<h1>Title</h1>\n<p>text</p>\n<blockquote>\n<p>inner</p>\n</blockquote>\n</blockquote>")

    def test_unordered_lists_nest_by_indentation(self):
        self.assertEqual(render("- a\n- b\n  - c\n    - d\n- e"),
                         "<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c\n<ul>\n<li>d</li>\n</ul></li>\n</ul></li>\n<li>e</li>\n</ul>")

    def test_ordered_lists_keep_their_start_number(self):
        self.assertEqual(render("1. a\n2. b"), "<ol>\n<li>a</li>\n<li>b</li>\n</ol>")
        self.assertEqual(render("07. a\n8. b"), '<ol start="7">\n<li>a</li>\n<li>b</li>\n</ol>')

    def test_a_list_of_another_kind_starts_a_new_list(self):
        self.assertEqual(render("- a\n1. b"), "<ul>\n<li>a</li>\n</ul>\n<ol>\n<li>b</li>\n</ol>")

    def test_list_items_can_hold_later_paragraphs_and_code(self):
        self.assertEqual(render("- a\n\n  b\n\n      code\n- c"),
                         "<ul>\n<li>a\n<p>b</p>\n<pre><code>code\n</code></pre></li>\n<li>c</li>\n</ul>")

    def test_a_list_interrupts_a_paragraph_and_ends_at_an_unindented_line(self):
        self.assertEqual(render("intro\n- a\nafter"), "<p>intro</p>\n<ul>\n<li>a</li>\n</ul>\n<p>after</p>")

    def test_deep_nesting_stops_at_eight_levels_instead_of_recursing(self):
        html = render(">" * 5000 + " deep")
        self.assertEqual(html.count("<blockquote>"), 8)
        self.assertIn("<p>" + "&gt;" * (5000 - 8) + " deep</p>", html)


class InlineTest(unittest.TestCase):
    def test_emphasis_strong_and_nesting(self):
        self.assertEqual(render("*em* **strong** *a **b** c*"),
                         "<p><em>em</em> <strong>strong</strong> <em>a <strong>b</strong> c</em></p>")

    def test_asterisks_next_to_spaces_or_unmatched_stay_literal(self):
        self.assertEqual(render("a * b * c"), "<p>a * b * c</p>")
        self.assertEqual(render("*open and **never closed"), "<p>*open and **never closed</p>")
        self.assertEqual(render("***three***"), "<p>***three***</p>")

    def test_emphasis_spans_soft_line_breaks(self):
        self.assertEqual(render("*one\ntwo*"), "<p><em>one\ntwo</em></p>")

    def test_code_spans_are_literal_and_escaped(self):
        self.assertEqual(render("`<b>*x*</b>`"), "<p><code>&lt;b&gt;*x*&lt;/b&gt;</code></p>")
        self.assertEqual(render("`` a ` b ``"), "<p><code>a ` b</code></p>")
        self.assertEqual(render("`unclosed"), "<p>`unclosed</p>")

    def test_backslash_escapes_make_punctuation_literal(self):
        self.assertEqual(render("\\*not\\* \\[x\\](http://a) \\q"), "<p>*not* [x](http://a) \\q</p>")

    def test_links_allow_only_http_https_and_mailto(self):
        self.assertEqual(render("[site](https://example.com/a?b=1&c=2)"),
                         '<p><a href="https://example.com/a?b=1&amp;c=2">site</a></p>')
        self.assertEqual(render("[mail](mailto:me@example.com)"), '<p><a href="mailto:me@example.com">mail</a></p>')
        for url in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "vbscript:x", "/relative", "//evil"):
            with self.subTest(url=url):
                self.assertNotIn("<a ", render(f"[x]({url})"))

    def test_autolinks_allow_only_http_https_and_mailto(self):
        self.assertEqual(render("<https://example.com/x>"), '<p><a href="https://example.com/x">https://example.com/x</a></p>')
        self.assertEqual(render("<javascript:alert(1)>"), "<p>&lt;javascript:alert(1)&gt;</p>")

    def test_link_text_can_hold_emphasis_but_not_links(self):
        self.assertEqual(render("[*a* <https://b>](http://c)"),
                         '<p><a href="http://c"><em>a</em> <a href="https://b">https://b</a></a></p>')


class SafetyTest(unittest.TestCase):
    ATTACKS = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '[x](http://a" onmouseover="alert(1))',
        "[x](https://a.b/\"><script>alert(1)</script>)",
        '<https://a.b/"onmouseover="alert(1)>',
        "```\n</code></pre><script>alert(1)</script>\n```",
        "`</code><script>alert(1)</script>`",
        "> <iframe src=javascript:alert(1)>",
        "- <svg onload=alert(1)>",
        "# <style>body{}</style>",
        "&lt;script&gt; &amp; &#x3C;",
    ]

    def test_no_input_produces_a_tag_or_attribute_outside_the_allowed_set(self):
        allowed_tag = re.compile(r"</?(p|br|em|strong|code|pre|h[1-6]|ul|ol|li|blockquote)>|<a href=\"[^\"<>]*\">|</a>"
                                 r"|<code class=\"language-[\w+-]*\">|<ol start=\"\d+\">")
        for attack in self.ATTACKS:
            with self.subTest(attack=attack):
                html = render(attack)
                self.assertEqual(allowed_tag.sub("", html).count("<"), 0, html)
                self.assertNotIn("javascript:", "".join(re.findall(r'href="[^"]*"', html)))
                self.assertNotIn("on", "".join(re.findall(r"<a [^>]*>", html)).replace("href", ""))

    def test_entities_in_the_source_are_escaped_not_decoded(self):
        self.assertEqual(render("&lt;b&gt;"), "<p>&amp;lt;b&amp;gt;</p>")

    def test_quotes_are_escaped(self):
        self.assertEqual(render("\"q\" 'a'"), "<p>&quot;q&quot; &#x27;a&#x27;</p>")

    def test_non_ascii_passes_through(self):
        self.assertEqual(render("Ünïcödé **日本語** 🎉"), "<p>Ünïcödé <strong>日本語</strong> 🎉</p>")

    def test_the_same_source_always_renders_the_same_bytes(self):
        source = "# T\n\n- *a*\n- [b](https://c)\n\n```\nx\n```\n> q"
        self.assertEqual({render(source) for _ in range(5)}, {render(source)})


class CostTest(unittest.TestCase):
    """The renderer's work grows linearly with the input, counted in function calls (Python and C) rather
    than timed, so that a busy machine cannot fail it: a quadratic renderer doubles its ratio to about 4.
    (A regular expression's backtracking happens inside one call, so it is not counted.)"""

    @staticmethod
    def calls_to_render(source):
        count = 0

        def profile(frame, event, arg):
            nonlocal count
            if event in ("call", "c_call"):
                count += 1

        sys.setprofile(profile)
        try:
            render(source)
        finally:
            sys.setprofile(None)
        return count

    def test_pathological_inputs_of_twenty_thousand_characters_cost_twice_what_half_of_them_does(self):
        inputs = ["*a " * 6666, "[" * 20000, "`" * 20000, "` `` " * 4000, "<http://a" * 2200, "- " * 10000,
                  "[a](" * 5000, "**a " * 5000, ("  " * 10 + "- x\n") * 900]
        for source in inputs:
            with self.subTest(source=source[:12]):
                half, whole = self.calls_to_render(source[: len(source) // 2]), self.calls_to_render(source)
                self.assertLess(whole / half, 2.5)

if __name__ == "__main__":
    unittest.main()

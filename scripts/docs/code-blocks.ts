// Fenced code blocks of a documentation page, with their language and meta (`title="..."`,
// `doctest`), for the doc tests that run the quick start and compare its translations.
export interface CodeBlock {
  lang: string;
  meta: string;
  title: string | null;
  /** Marked `doctest`: the quick-start test runs it. */
  doctest: boolean;
  code: string;
}

export function codeBlocks(mdx: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const fence = /^```(\w*)([^\n]*)\n([^]*?)\n```$/gm;
  for (const m of mdx.matchAll(fence)) {
    const meta = m[2]!.trim();
    blocks.push({
      lang: m[1]!,
      meta,
      title: /title="([^"]*)"/.exec(meta)?.[1] ?? null,
      doctest: /(^|\s)doctest(\s|$)/.test(meta),
      code: m[3]!,
    });
  }
  return blocks;
}

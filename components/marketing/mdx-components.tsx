import type { MDXComponents } from 'mdx/types';

/** How blog MDX renders: headings from h2 down (the page owns the h1), tables that scroll. */
export const mdxComponents: MDXComponents = {
  h1: (props) => <h2 className="mt-4 text-2xl font-semibold tracking-tight" {...props} />,
  h2: (props) => <h2 className="mt-4 text-2xl font-semibold tracking-tight" {...props} />,
  h3: (props) => <h3 className="mt-2 text-lg font-semibold" {...props} />,
  a: (props) => <a className="text-primary underline underline-offset-4" {...props} />,
  ul: (props) => <ul className="list-disc space-y-1 pl-5" {...props} />,
  ol: (props) => <ol className="list-decimal space-y-1 pl-5" {...props} />,
  pre: (props) => <pre tabIndex={0} className="overflow-x-auto rounded-lg bg-neutral-950 p-4 font-mono text-[13px] text-neutral-100" {...props} />,
  code: (props) => <code className="font-mono text-[0.9em]" {...props} />,
  table: (props) => (
    <div className="overflow-x-auto rounded-lg border">
      <table className="w-full text-left text-sm [&_td]:border-t [&_td]:p-2 [&_th]:bg-muted/60 [&_th]:p-2" {...props} />
    </div>
  ),
};

// The components documentation pages may use: fumadocs' defaults (code blocks with copy buttons,
// callouts, cards, tabs) and Lathe's own.
import type { MDXComponents } from 'mdx/types';
import defaultMdxComponents from 'fumadocs-ui/mdx';
import { Tab, Tabs } from 'fumadocs-ui/components/tabs';
import { DocLink } from '@/components/docs/doc-link';
import { JobLifecycleDiagram } from '@/components/docs/job-lifecycle-diagram';

export function docsMdxComponents(): MDXComponents {
  return { ...defaultMdxComponents, Tab, Tabs, DocLink, JobLifecycleDiagram };
}

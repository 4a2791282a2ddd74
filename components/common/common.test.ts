import { createElement as h } from 'react';
import { InboxIcon } from 'lucide-react';
import { describe, expect, it } from 'vitest';

import { Button } from '@/components/ui/button';
import { CodeBlock } from './code-block';
import { ConfirmDialog } from './confirm-dialog';
import { EmptyState } from './empty-state';
import { PageHeader } from './page-header';
import { ProgressWithEta } from './progress-with-eta';
import { renderStatic } from './render-static';
import { Stat } from './stat';
import { StatusBadge } from './status-badge';

describe('StatusBadge', () => {
  it('labels and colours known states from the ui messages', () => {
    const html = renderStatic(h(StatusBadge, { status: 'validating_files' }));
    expect(html).toContain('Validating files');
    expect(html).toContain('data-tone="progress"');
    expect(renderStatic(h(StatusBadge, { status: 'failed' }))).toContain('data-tone="danger"');
    expect(renderStatic(h(StatusBadge, { status: 'succeeded' }))).toContain('>Succeeded<');
  });

  it('renders every known state without a missing message', () => {
    for (const status of ['requested', 'downloading', 'converting', 'ready', 'queued', 'running', 'cancelled']) {
      expect(renderStatic(h(StatusBadge, { status }))).toMatch(/data-tone="\w+"/);
    }
  });

  it('shows an unknown state humanised and neutral, and honours a label override', () => {
    const html = renderStatic(h(StatusBadge, { status: 'gpu_lost' }));
    expect(html).toContain('Gpu lost');
    expect(html).toContain('data-tone="neutral"');
    expect(renderStatic(h(StatusBadge, { status: 'running', label: 'Epoch 2/3' }))).toContain('Epoch 2/3');
  });
});

describe('ProgressWithEta', () => {
  it('shows the percentage and the time left, and exposes both to assistive technology', () => {
    const html = renderStatic(h(ProgressWithEta, { value: 42.6, etaSeconds: 190, label: 'Training' }));
    expect(html).toContain('42% · 3m 10s left');
    expect(html).toContain('role="progressbar"');
    expect(html).toContain('aria-label="Training"');
    expect(html).toContain('aria-valuetext="42% · 3m 10s left"');
    expect(html).toContain('aria-valuenow="42.6"');
  });

  it('distinguishes no estimate yet from no estimate wanted', () => {
    expect(renderStatic(h(ProgressWithEta, { value: 5, etaSeconds: null }))).toContain(
      '5% · estimating time left',
    );
    const percentOnly = renderStatic(h(ProgressWithEta, { value: 5 }));
    expect(percentOnly).toContain('>5%<');
    expect(percentOnly).toContain('aria-label="Progress"');
  });

  it('clamps out-of-range values and drops the estimate when done', () => {
    const html = renderStatic(h(ProgressWithEta, { value: 130, etaSeconds: 12 }));
    expect(html).toContain('>100%<');
    expect(html).not.toContain('left');
    expect(renderStatic(h(ProgressWithEta, { value: 50, etaSeconds: 3_900 }))).toContain('1h 5m left');
  });
});

describe('presentational blocks', () => {
  it('EmptyState renders icon, title, description and action', () => {
    const html = renderStatic(
      h(EmptyState, {
        icon: InboxIcon,
        title: 'No datasets yet',
        description: 'Upload a JSONL file of chats to start.',
        action: h(Button, null, 'Upload dataset'),
      }),
    );
    expect(html).toContain('<svg');
    expect(html).toContain('aria-hidden="true"');
    expect(html).toContain('<h2 class="text-base font-semibold">No datasets yet</h2>');
    expect(html).toContain('Upload dataset</button>');
  });

  it('PageHeader makes the title the page heading', () => {
    const html = renderStatic(
      h(PageHeader, { title: 'Fine-tuning jobs', description: 'All jobs', actions: h(Button, null, 'New job') }),
    );
    expect(html).toMatch(/<h1[^>]*>Fine-tuning jobs<\/h1>/);
    expect(html).toContain('New job');
  });

  it('Stat pairs its label and value in a description list', () => {
    const html = renderStatic(h(Stat, { label: 'Tokens trained', value: '1.2M', hint: 'last 30 days' }));
    expect(html).toMatch(/<dl[^>]*><dt[^>]*>Tokens trained<\/dt><dd[^>]*>1.2M<\/dd><dd[^>]*>last 30 days<\/dd><\/dl>/);
  });

  it('CodeBlock shows the code escaped, focusable, with a labelled copy button', () => {
    const html = renderStatic(h(CodeBlock, { code: 'curl -H "a" <url> && echo', language: 'bash' }));
    expect(html).toContain('curl -H &quot;a&quot; &lt;url&gt; &amp;&amp; echo');
    expect(html).toContain('tabindex="0"');
    expect(html).toContain('aria-label="bash code"');
    expect(html).toContain('aria-label="Copy code"');
  });

  it('ConfirmDialog renders only its trigger until opened', () => {
    const html = renderStatic(
      h(ConfirmDialog, {
        trigger: h(Button, { variant: 'destructive' }, 'Delete model'),
        title: 'Delete this model?',
        onConfirm: () => undefined,
      }),
    );
    expect(html).toContain('Delete model');
    expect(html).toContain('aria-haspopup="dialog"');
    expect(html).not.toContain('Delete this model?');
  });
});

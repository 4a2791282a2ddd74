import { createElement as h } from 'react';
import { describe, expect, it } from 'vitest';

import { renderStatic } from '@/components/common/render-static';
import { Checkbox } from './checkbox';
import { FormField, type FormControlProps } from './form-field';
import { Input } from './input';
import { Select, SelectTrigger, SelectValue } from './select';

function attr(html: string, tag: string, name: string): string | undefined {
  const element = html.match(new RegExp(`<${tag}\\b[^>]*>`))?.[0];
  return element?.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
}

describe('FormField', () => {
  it('ties the label, description and error to the control', () => {
    const html = renderStatic(
      h(FormField, {
        label: 'Model name',
        description: 'Shown in the API.',
        error: 'Name is taken',
        required: true,
        children: h(Input, { name: 'name' }),
      }),
    );
    const id = attr(html, 'input', 'id');
    expect(id).toBeTruthy();
    expect(attr(html, 'label', 'for')).toBe(id);
    expect(attr(html, 'input', 'aria-invalid')).toBe('true');
    expect(attr(html, 'input', 'aria-required')).toBe('true');
    expect(attr(html, 'input', 'aria-describedby')).toBe(`${id}-description ${id}-message`);
    expect(html).toContain(`id="${id}-description"`);
    expect(html).toMatch(new RegExp(`id="${id}-message"[^>]*>.*Name is taken`));
  });

  it('leaves a valid field unmarked and keeps the control\'s own id and descriptions', () => {
    const html = renderStatic(
      h(FormField, { label: 'Epochs', children: h(Input, { id: 'epochs', 'aria-describedby': 'hint' }) }),
    );
    expect(attr(html, 'input', 'id')).toBe('epochs');
    expect(attr(html, 'label', 'for')).toBe('epochs');
    expect(attr(html, 'input', 'aria-invalid')).toBeUndefined();
    expect(attr(html, 'input', 'aria-describedby')).toBe('hint');
    expect(html).not.toContain('-message');
  });

  it('lists every message of a multi-error field', () => {
    const html = renderStatic(
      h(FormField, { label: 'Learning rate', error: ['Too small', 'Must be a number'], children: h(Input) }),
    );
    expect(html).toContain('Too small');
    expect(html).toContain('Must be a number');
  });

  it('hands the attributes to a nested control through a render function', () => {
    const html = renderStatic(
      h(FormField, {
        label: 'Base model',
        error: 'Pick a model',
        id: 'base-model',
        children: (control: FormControlProps) =>
          h(Select, null, h(SelectTrigger, control, h(SelectValue, { placeholder: 'Choose' }))),
      }),
    );
    expect(attr(html, 'button', 'id')).toBe('base-model');
    expect(attr(html, 'button', 'aria-invalid')).toBe('true');
    expect(attr(html, 'button', 'aria-describedby')).toBe('base-model-message');
    expect(attr(html, 'label', 'for')).toBe('base-model');
  });

  it('puts a checkbox before its label in the horizontal layout', () => {
    const html = renderStatic(
      h(FormField, { label: 'Merge adapter', orientation: 'horizontal', children: h(Checkbox) }),
    );
    expect(html.indexOf('role="checkbox"')).toBeLessThan(html.indexOf('<label'));
    expect(attr(html, 'button', 'id')).toBe(attr(html, 'label', 'for'));
  });
});

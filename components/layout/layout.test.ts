import { createElement as h } from 'react';
import { DatabaseIcon, LayoutDashboardIcon, SettingsIcon } from 'lucide-react';
import { describe, expect, it } from 'vitest';

import { renderStatic } from '@/components/common/render-static';
import { AppShell } from './app-shell';
import { Logo } from './logo';
import { ProjectSwitcher, groupByOrg } from './project-switcher';
import { SidebarNav } from './sidebar-nav';
import { UserMenu, initialsOf } from './user-menu';

const navItems = [
  { href: '/dashboard', label: 'Overview', icon: LayoutDashboardIcon, active: true },
  { href: '/datasets', label: 'Datasets', icon: h(DatabaseIcon), badge: 3 },
  { href: '/settings', label: 'Settings', icon: SettingsIcon },
];

describe('SidebarNav', () => {
  it('renders a labelled landmark with the active page marked', () => {
    const html = renderStatic(h(SidebarNav, { items: navItems }));
    expect(html).toMatch(/<nav[^>]*aria-label="Main"/);
    const link = (href: string) => html.match(new RegExp(`<a [^>]*href="${href}"[^>]*>`))?.[0] ?? '';
    expect(link('/dashboard')).toContain('aria-current="page"');
    expect(link('/datasets')).not.toContain('aria-current');
    expect(link('/datasets')).not.toBe('');
    expect((html.match(/<svg/g) ?? []).length).toBe(3);
    expect(html).toContain('>3</span>');
  });
});

describe('AppShell', () => {
  it('lays out skip link, sidebar, top bar and main landmark', () => {
    const html = renderStatic(
      h(AppShell, {
        navItems,
        header: h('span', null, 'Acme / Support bot'),
        userMenu: h('button', null, 'me'),
        sidebarFooter: h('span', null, 'v0.1.0'),
        children: h('p', null, 'page body'),
      }),
    );
    expect(html).toMatch(/<a href="#main-content"[^>]*>Skip to content<\/a>/);
    expect(html).toMatch(/<main id="main-content" tabindex="-1"/);
    expect(html).toContain('<aside');
    expect(html).toContain('<header');
    expect(html).toContain('aria-label="Lathe home"');
    expect(html).toContain('Open navigation');
    expect(html).toContain('Acme / Support bot');
    expect(html).toContain('v0.1.0');
    expect(html.indexOf('page body')).toBeGreaterThan(html.indexOf('<main'));
  });
});

describe('Logo', () => {
  it('is a named image unless a surrounding link names it', () => {
    expect(renderStatic(h(Logo))).toMatch(/<svg[^>]*role="img"[^>]*aria-label="Lathe"/);
    const decorative = renderStatic(h(Logo, { decorative: true }));
    expect(decorative).toContain('aria-hidden="true"');
    expect(decorative).not.toContain('role="img"');
    expect(renderStatic(h(Logo, { variant: 'mark' }))).not.toContain('<text');
  });
});

describe('ProjectSwitcher', () => {
  const projects = [
    { id: 'p1', name: 'Support bot', orgName: 'Acme' },
    { id: 'p2', name: 'Summariser', orgName: 'Globex' },
    { id: 'p3', name: 'Classifier', orgName: 'Acme' },
  ];

  it('names the current project on its trigger', () => {
    const html = renderStatic(
      h(ProjectSwitcher, { projects, currentProjectId: 'p2', onSelect: () => undefined }),
    );
    expect(html).toContain('<span class="sr-only">Switch project, current: </span>');
    expect(html).toContain('Summariser');
    expect(html).toContain('Globex');
  });

  it('prompts for a choice when no project is selected', () => {
    const html = renderStatic(h(ProjectSwitcher, { projects: [], onSelect: () => undefined }));
    expect(html).toContain('Select a project');
    expect(html).toContain('<span class="sr-only">Switch project </span>');
  });

  it('groups projects by organisation in first-seen order', () => {
    expect(groupByOrg(projects).map(([org, items]) => [org, items.map((p) => p.id)])).toEqual([
      ['Acme', ['p1', 'p3']],
      ['Globex', ['p2']],
    ]);
  });
});

describe('UserMenu', () => {
  it('shows initials on a labelled trigger', () => {
    const html = renderStatic(
      h(UserMenu, { name: 'Ada Lovelace', email: 'ada@example.com', onSignOut: () => undefined }),
    );
    expect(html).toContain('<span class="sr-only">Account menu</span>');
    expect(html).toContain('>AL<');
  });

  it('derives initials from the name or else the e-mail address', () => {
    expect(initialsOf('Ada Lovelace', 'a@x.io')).toBe('AL');
    expect(initialsOf('Grace Brewster Hopper', 'g@x.io')).toBe('GH');
    expect(initialsOf('cher', 'c@x.io')).toBe('CH');
    expect(initialsOf('  ', 'zoe@x.io')).toBe('Z');
    expect(initialsOf(null, 'élodie@x.io')).toBe('É');
    expect(initialsOf(null, '')).toBe('?');
  });
});

'use client';

import * as React from 'react';
import { ChevronsUpDownIcon, PlusIcon } from 'lucide-react';
import { useTranslations } from 'next-intl';

import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuGroup,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { cn } from '@/lib/utils';

interface ProjectOption {
  id: string;
  name: string;
  orgName: string;
}

interface ProjectSwitcherProps {
  projects: readonly ProjectOption[];
  currentProjectId?: string | null;
  onSelect: (projectId: string) => void;
  /** Adds a "New project" item when given. */
  onCreate?: () => void;
  className?: string;
}

/** Groups projects by organisation, keeping the order in which organisations first appear. */
function groupByOrg(projects: readonly ProjectOption[]): [string, ProjectOption[]][] {
  const groups = new Map<string, ProjectOption[]>();
  for (const project of projects) {
    const group = groups.get(project.orgName);
    if (group) group.push(project);
    else groups.set(project.orgName, [project]);
  }
  return [...groups];
}

function ProjectSwitcher({
  projects,
  currentProjectId,
  onSelect,
  onCreate,
  className,
}: ProjectSwitcherProps) {
  const t = useTranslations('ui');
  const current = projects.find((project) => project.id === currentProjectId);
  const groups = groupByOrg(projects);

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button
          variant="outline"
          className={cn('h-auto w-full justify-between gap-2 px-2.5 py-1.5 text-left', className)}
        >
          {/* The name is read with the visible text in it (WCAG 2.5.3, label in name). */}
          <span className="flex min-w-0 flex-col">
            <span className="sr-only">{`${current ? t('projectSwitcher.current') : t('projectSwitcher.label')} `}</span>
            <span className="truncate text-sm font-medium">
              {current ? current.name : t('projectSwitcher.noProject')}
            </span>
            {current && (
              <span className="text-muted-foreground truncate text-xs font-normal">
                {current.orgName}
              </span>
            )}
          </span>
          <ChevronsUpDownIcon className="text-muted-foreground" aria-hidden="true" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-(--radix-dropdown-menu-trigger-width) min-w-56">
        {groups.length === 0 && (
          <DropdownMenuItem disabled>{t('projectSwitcher.empty')}</DropdownMenuItem>
        )}
        {groups.map(([orgName, orgProjects], index) => (
          <DropdownMenuGroup key={orgName}>
            {index > 0 && <DropdownMenuSeparator />}
            <DropdownMenuLabel className="text-muted-foreground text-xs font-normal">
              {orgName}
            </DropdownMenuLabel>
            <DropdownMenuRadioGroup value={currentProjectId ?? ''} onValueChange={onSelect}>
              {orgProjects.map((project) => (
                <DropdownMenuRadioItem key={project.id} value={project.id}>
                  <span className="truncate">{project.name}</span>
                </DropdownMenuRadioItem>
              ))}
            </DropdownMenuRadioGroup>
          </DropdownMenuGroup>
        ))}
        {onCreate && (
          <>
            <DropdownMenuSeparator />
            <DropdownMenuItem onSelect={onCreate}>
              <PlusIcon aria-hidden="true" />
              {t('projectSwitcher.create')}
            </DropdownMenuItem>
          </>
        )}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

export { ProjectSwitcher, groupByOrg };
export type { ProjectOption, ProjectSwitcherProps };

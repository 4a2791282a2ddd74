import * as React from 'react';

/**
 * An icon as a component (`InboxIcon`) or as an element (`<InboxIcon />`). Server components that
 * render a client component must pass the element form: React cannot send a component reference
 * across that boundary.
 */
export type IconProp =
  | React.ComponentType<{ className?: string; 'aria-hidden'?: boolean | 'true' | 'false' }>
  | React.ReactElement;

export function renderIcon(icon: IconProp | undefined, className?: string): React.ReactNode {
  if (icon === undefined) return null;
  if (React.isValidElement(icon)) return icon;
  const Icon = icon;
  return <Icon className={className} aria-hidden="true" />;
}

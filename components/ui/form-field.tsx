'use client';

import * as React from 'react';

import { Label } from '@/components/ui/label';
import { cn } from '@/lib/utils';

/** The attributes a control needs so that its label, description and error are announced. */
export interface FormControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
  'aria-required'?: true;
}

interface FormFieldContextValue {
  controlId: string;
  descriptionId: string | undefined;
  messageId: string | undefined;
  invalid: boolean;
  required: boolean;
}

const FormFieldContext = React.createContext<FormFieldContextValue | null>(null);

function useFormField(): FormFieldContextValue & { controlProps: FormControlProps } {
  const field = React.useContext(FormFieldContext);
  if (!field) {
    throw new Error('useFormField must be used inside <FormField>');
  }
  const describedBy = [field.descriptionId, field.messageId].filter(Boolean).join(' ');
  return {
    ...field,
    controlProps: {
      id: field.controlId,
      ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      ...(field.invalid ? { 'aria-invalid': true as const } : {}),
      ...(field.required ? { 'aria-required': true as const } : {}),
    },
  };
}

type FieldError = string | readonly string[] | null | undefined | false;

function errorMessages(error: FieldError): string[] {
  if (!error) return [];
  return (typeof error === 'string' ? [error] : [...error]).filter((m) => m.length > 0);
}

function elementId(children: React.ReactNode): string | undefined {
  if (!React.isValidElement<{ id?: unknown }>(children)) return undefined;
  return typeof children.props.id === 'string' ? children.props.id : undefined;
}

interface FormFieldProps {
  label: React.ReactNode;
  description?: React.ReactNode;
  /** One message, several (as zod's flattened errors give them), or nothing when valid. */
  error?: FieldError;
  required?: boolean;
  /** The control's id; generated when neither this nor the child element sets one. */
  id?: string;
  /** "horizontal" puts a checkbox or switch before its label. */
  orientation?: 'vertical' | 'horizontal';
  className?: string;
  /**
   * A single focusable element (Input, Textarea, Checkbox, Switch...), which receives the id and
   * aria attributes; or a function that spreads them itself, for composites such as Select whose
   * focusable part is nested (`{(control) => <Select><SelectTrigger {...control} />...`).
   */
  children: React.ReactElement | ((control: FormControlProps) => React.ReactNode);
}

function FormField({
  label,
  description,
  error,
  required = false,
  id,
  orientation = 'vertical',
  className,
  children,
}: FormFieldProps) {
  const generatedId = React.useId();
  const controlId = id ?? (typeof children === 'function' ? undefined : elementId(children)) ?? `${generatedId}-control`;
  const messages = errorMessages(error);
  const invalid = messages.length > 0;

  const context: FormFieldContextValue = {
    controlId,
    descriptionId: description ? `${controlId}-description` : undefined,
    messageId: invalid ? `${controlId}-message` : undefined,
    invalid,
    required,
  };

  const text = (
    <>
      <FormLabel>{label}</FormLabel>
      <FormDescription>{description}</FormDescription>
    </>
  );
  const control =
    typeof children === 'function' ? (
      <FormControlRender render={children} />
    ) : (
      <FormControl>{children}</FormControl>
    );

  return (
    <FormFieldContext.Provider value={context}>
      <div
        data-slot="form-field"
        data-invalid={invalid || undefined}
        className={cn('grid gap-2', className)}
      >
        {orientation === 'horizontal' ? (
          <div className="flex items-start gap-3">
            <div className="flex h-5 items-center">{control}</div>
            <div className="grid gap-1.5">{text}</div>
          </div>
        ) : (
          <>
            <FormLabel>{label}</FormLabel>
            {control}
            <FormDescription>{description}</FormDescription>
          </>
        )}
        <FormMessage messages={messages} />
      </div>
    </FormFieldContext.Provider>
  );
}

function FormLabel({ className, children, ...props }: React.ComponentProps<typeof Label>) {
  const { controlId, invalid, required } = useFormField();
  return (
    <Label
      data-slot="form-label"
      data-invalid={invalid || undefined}
      htmlFor={controlId}
      className={cn('data-[invalid]:text-destructive', className)}
      {...props}
    >
      {children}
      {required && (
        <span aria-hidden="true" className="text-destructive -ml-1">
          *
        </span>
      )}
    </Label>
  );
}

function FormControl({ children }: { children: React.ReactElement }) {
  const { controlProps } = useFormField();
  const child = React.Children.only(children) as React.ReactElement<Record<string, unknown>>;
  const own = child.props['aria-describedby'];
  const describedBy = [controlProps['aria-describedby'], typeof own === 'string' ? own : undefined]
    .filter(Boolean)
    .join(' ');

  return React.cloneElement(child, {
    ...controlProps,
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
  });
}

function FormControlRender({ render }: { render: (control: FormControlProps) => React.ReactNode }) {
  const { controlProps } = useFormField();
  return <>{render(controlProps)}</>;
}

function FormDescription({ className, children, ...props }: React.ComponentProps<'p'>) {
  const { descriptionId } = useFormField();
  if (!descriptionId || children == null || children === false) return null;
  return (
    <p
      data-slot="form-description"
      id={descriptionId}
      className={cn('text-muted-foreground text-sm', className)}
      {...props}
    >
      {children}
    </p>
  );
}

function FormMessage({
  className,
  messages,
  ...props
}: React.ComponentProps<'p'> & { messages: readonly string[] }) {
  const { messageId } = useFormField();
  if (!messageId || messages.length === 0) return null;
  return (
    <p
      data-slot="form-message"
      id={messageId}
      className={cn('text-destructive text-sm', className)}
      {...props}
    >
      {messages.map((message, index) => (
        <span key={index} className="block">
          {message}
        </span>
      ))}
    </p>
  );
}

export { FormField, FormLabel, FormControl, FormDescription, FormMessage, useFormField };
export type { FormFieldProps, FieldError };

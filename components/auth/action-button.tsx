'use client';

import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';

/** The one button of an auth page that acts on a mailed link, with the error of its last try above it. */
export function ActionButton({ label, onClick, pending, error }: { label: string; onClick: () => void; pending: boolean; error: { message: string } | null }) {
  return (
    <div className="grid gap-4">
      {error && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{error.message}</AlertDescription>
        </Alert>
      )}
      <Button onClick={onClick} disabled={pending}>
        {label}
      </Button>
    </div>
  );
}

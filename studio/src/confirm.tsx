import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';
import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle } from '@fluentui/react-components';
import { ErrorBar } from './common';

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  /** The confirming button's text, e.g. "Delete endpoint". */
  action: string;
}

type Confirm = (request: ConfirmRequest) => Promise<boolean>;

const ConfirmContext = createContext<Confirm>(async () => false);

export const useConfirm = (): Confirm => useContext(ConfirmContext);

/**
 * One confirmation dialog for the whole app, outside the pages: a modal dialog hides the rest of
 * the page from screen readers while open, and one that unmounts with its table row (the row it
 * deleted) can leave the page hidden. This one always closes before the page changes.
 */
export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [request, setRequest] = useState<ConfirmRequest>();
  const [open, setOpen] = useState(false);
  const answer = useRef<(ok: boolean) => void>(undefined);
  const confirm = useCallback<Confirm>(
    (next) =>
      new Promise<boolean>((resolve) => {
        answer.current = resolve;
        setRequest(next);
        setOpen(true);
      }),
    [],
  );
  const close = (ok: boolean) => {
    setOpen(false);
    answer.current?.(ok);
    answer.current = undefined;
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <Dialog open={open} onOpenChange={(_, d) => (d.open ? undefined : close(false))}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{request?.title}</DialogTitle>
            <DialogContent>{request?.body}</DialogContent>
            <DialogActions>
              <Button onClick={() => close(false)}>Cancel</Button>
              <Button appearance="primary" onClick={() => close(true)}>
                {request?.action}
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </ConfirmContext.Provider>
  );
}

/** A Delete button that asks first, runs the deletion, and shows the API's error next to itself. */
export function DeleteButton({ label, confirmation, remove, onDeleted, size }: { label: string; confirmation: ConfirmRequest; remove: () => Promise<unknown>; onDeleted: () => void; size?: 'small' | 'medium' }) {
  const confirm = useConfirm();
  const [error, setError] = useState<unknown>();
  const click = async () => {
    if (!(await confirm(confirmation))) return;
    try {
      setError(undefined);
      await remove();
      onDeleted();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <Button size={size} aria-label={label} onClick={() => void click()}>
        Delete
      </Button>
      <ErrorBar error={error} />
    </>
  );
}

import { Component, createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import {
  Button, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Title2, Badge, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens,
} from '@fluentui/react-components';
import { Api, ApiFailure } from './api';
import type { Session } from './auth';

export const SessionContext = createContext<{ session: Session; api: Api } | undefined>(undefined);

export function useSession(): { session: Session; api: Api } {
  const value = useContext(SessionContext);
  if (!value) throw new Error('No session');
  return value;
}

/** Loads data for a page; `reload` runs it again, `every` polls (e.g. a running job). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], every?: (data: T | undefined) => number | undefined) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: { data: T } | undefined;
    const run = async () => {
      try {
        const data = await load();
        if (!live) return;
        last = { data };
        setState({ data, loading: false });
        const wait = every?.(data);
        if (wait) timer = setTimeout(run, wait);
      } catch (error) {
        if (!live) return;
        setState((s) => ({ ...s, error, loading: false }));
        // A failed refresh (a network blip, a host restarting) does not end the polling: the page would freeze, still "Running".
        const wait = last && every?.(last.data);
        if (wait) timer = setTimeout(run, wait);
      }
    };
    void run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload };
}

/** One page of an API list: `value`, and `nextLink` while more remain. */
export interface Paged<T> {
  value: T[];
  nextLink?: string;
}

/** The API path (under /api/) of a nextLink the API answered. */
const apiPathOf = (link: string) => {
  const url = new URL(link, location.href);
  return url.pathname.replace(/^\/api\//, '') + url.search;
};

/**
 * A list's first page (loaded, maybe polled, by the page) and the pages *Show more* asked for by
 * following nextLink: the API pages its lists (200 paths, 50 jobs here), and a page that showed
 * only the first hid the rest without a word. A new `key` (another folder) starts over; an item
 * in two pages (a refreshed first page) is listed once.
 */
export function useShowMore<T>(first: Paged<T> | undefined, key: string, idOf: (item: T) => string) {
  const { api } = useSession();
  const [more, setMore] = useState<{ key: string; items: T[]; next?: string; asked?: boolean; busy?: boolean; error?: unknown }>({ key, items: [] });
  const current = more.key === key ? more : { key, items: [] as T[] };
  const nextLink = current.asked ? current.next : first?.nextLink;
  const seen = new Set<string>();
  const items = [...(first?.value ?? []), ...current.items].filter((item) => !seen.has(idOf(item)) && !!seen.add(idOf(item)));
  const showMore = async () => {
    setMore({ ...current, busy: true, error: undefined });
    try {
      const page = await api.get<Paged<T>>(apiPathOf(nextLink!));
      setMore({ key, items: [...current.items, ...page.value], next: page.nextLink, asked: true });
    } catch (error) {
      setMore({ ...current, busy: false, error });
    }
  };
  const control = (
    <>
      <ErrorBar error={current.error} />
      {nextLink ? (
        <p>
          {items.length} shown.{' '}
          <Button size="small" onClick={() => void showMore()} disabled={current.busy}>
            Show more
          </Button>
        </p>
      ) : null}
    </>
  );
  return { items, control };
}

/** An API error with its code and message (never a blank page). */
export function ErrorBar({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const failure = error instanceof ApiFailure ? error : undefined;
  const details = failure?.details ?? [];
  // The API's message usually restates its details ("The request has 2 problems: a; b."): say each once.
  const restated = details.length > 0 && details.every((d) => failure!.message.includes(d.message));
  const list = details.length > 1 || (details.length === 1 && !restated);
  return (
    <MessageBar intent="error" role="alert" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>{title ?? (failure ? `${failure.status ? `${failure.status} ` : ''}${failure.code}` : 'Error')}</MessageBarTitle>
        {!failure ? String((error as Error)?.message ?? error) : restated && list ? null : failure.message}
        {list ? (
          <ul>
            {details.map((d, i) => (
              <li key={i}>
                {d.target && !d.message.startsWith(d.target) ? <><code>{d.target}</code> </> : null}
                {d.message}
              </li>
            ))}
          </ul>
        ) : null}
      </MessageBarBody>
    </MessageBar>
  );
}

const useStyles = makeStyles({
  header: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalM, flexWrap: 'wrap', marginBottom: tokens.spacingVerticalM },
  grow: { flexGrow: 1 },
  // Long words (file paths and names in errors, URIs) wrap inside their table cell instead of widening the page.
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, overflowWrap: 'break-word' },
});

export const APP_TITLE = 'Batch endpoints studio';

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  const styles = useStyles();
  // Each page has its own document title (WCAG 2.4.2): screen readers announce it, and tabs and history tell pages apart.
  useEffect(() => {
    document.title = `${title} - ${APP_TITLE}`;
    return () => {
      document.title = APP_TITLE;
    };
  }, [title]);
  return (
    <div className={styles.header}>
      <Title2 as="h1" className={styles.grow} tabIndex={-1}>
        {title}
      </Title2>
      {children}
    </div>
  );
}

export function Section({ children }: { children: ReactNode }) {
  return <div className={useStyles().section}>{children}</div>;
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return <Spinner size="small" label={label} />;
}

const STATUS_COLOR: Record<string, 'success' | 'danger' | 'warning' | 'informative' | 'subtle'> = {
  Completed: 'success',
  Failed: 'danger',
  Canceled: 'warning',
  CancelRequested: 'warning',
  Running: 'informative',
  Preparing: 'informative',
  Finalizing: 'informative',
  NotStarted: 'subtle',
};

export function StatusBadge({ status }: { status?: string }) {
  if (!status) return <span>none</span>;
  return (
    <Badge appearance="tint" color={STATUS_COLOR[status] ?? 'subtle'} data-status={status}>
      {status}
    </Badge>
  );
}

export const FINAL = new Set(['Completed', 'Failed', 'Canceled']);

export function formatTime(iso?: string): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function duration(from?: string, to?: string): string {
  if (!from) return '';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export type Column<T> = [header: string, cell: (row: T) => ReactNode];

/** A labelled table of rows, one column per [header, cell] pair. */
export function DataTable<T>({ label, rows, rowKey, columns, rowData }: { label: string; rows: T[]; rowKey: (row: T) => string; columns: Column<T>[]; rowData?: string }) {
  return (
    <Table aria-label={label}>
      <TableHeader>
        <TableRow>
          {columns.map(([header]) => (
            <TableHeaderCell key={header}>{header}</TableHeaderCell>
          ))}
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((row) => (
          <TableRow key={rowKey(row)} {...(rowData ? { [`data-${rowData}`]: rowKey(row) } : {})}>
            {columns.map(([header, cell]) => (
              <TableCell key={header}>{cell(row)}</TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** A page that lists resources: heading, error, loading, an empty message, the table. */
export function ListPage<T>({ title, actions, load, empty, ...table }: { title: string; actions?: ReactNode; load: ReturnType<typeof useLoad<T[]>>; empty: string; label: string; rowKey: (row: T) => string; columns: Column<T>[] }) {
  return (
    <Section>
      <PageHeader title={title}>{actions}</PageHeader>
      <ErrorBar error={load.error} />
      {!load.data && !load.error ? <Loading /> : null}
      {load.data?.length === 0 ? <p>{empty}</p> : null}
      {load.data?.length ? <DataTable rows={load.data} {...table} /> : null}
    </Section>
  );
}

/** A page that throws while rendering shows its error instead of leaving the whole page blank. */
export class PageErrorBoundary extends Component<{ children: ReactNode }, { error?: unknown }> {
  override state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    return this.state.error ? <ErrorBar error={this.state.error} title="This page failed" /> : this.props.children;
  }
}

import { useEffect, useRef, useState } from 'react';
import { Button, makeStyles, tokens } from '@fluentui/react-components';
import { enc } from '../api';
import { ErrorBar, Loading, useLoad, useSession, useShowMore, type Paged } from '../common';

export interface PathEntry {
  name: string;
  kind: 'folder' | 'file';
  size?: number;
}

const useStyles = makeStyles({
  box: { border: `1px solid ${tokens.colorNeutralStroke2}`, padding: tokens.spacingHorizontalS, maxHeight: '260px', overflow: 'auto' },
  list: { listStyleType: 'none', margin: 0, padding: 0 },
});

/** Lists what is at `path` in a datastore (GET /api/datastores/{name}/paths; its first page, 200 entries). */
export function listPaths(api: ReturnType<typeof useSession>['api'], datastore: string, prefix: string): Promise<PathEntry[]> {
  return api.list(`datastores/${enc(datastore)}/paths?prefix=${enc(prefix)}`) as unknown as Promise<PathEntry[]>;
}

/** One folder level of a datastore at a time: open a folder, go up, or pick a folder or a file. */
export function DatastoreBrowser({ datastore, onPick }: { datastore: string; onPick?: (path: string, kind: 'folder' | 'file') => void }) {
  const { api } = useSession();
  const styles = useStyles();
  const [prefix, setPrefix] = useState('');
  // The button that opened a folder goes away with the listing: focus moves to the new folder's path line, not to the page's start.
  const here = useRef<HTMLParagraphElement>(null);
  const moved = useRef(false);
  const open = (folder: string) => {
    moved.current = true;
    setPrefix(folder);
  };
  useEffect(() => {
    if (moved.current) here.current?.focus();
    moved.current = false;
  }, [prefix]);
  // A folder's first page, then the pages 'Show more' asks for (a batch input folder often holds thousands of files).
  const entries = useLoad(() => api.get<Paged<PathEntry>>(`datastores/${enc(datastore)}/paths?prefix=${enc(prefix)}`), [api, datastore, prefix]);
  const { items: listed, control: showMore } = useShowMore(entries.data, `${datastore}|${prefix}`, (e) => e.name);
  const up = prefix.replace(/[^/]+\/$/, '');
  const short = (name: string) => name.slice(prefix.length);
  return (
    <div className={styles.box} role="group" aria-label={`Browse ${datastore}`}>
      <p ref={here} tabIndex={-1}>
        {datastore}/{prefix}{' '}
        {prefix ? (
          <>
            <Button size="small" onClick={() => open(up)}>
              Up one folder
            </Button>{' '}
            {onPick ? (
              <Button size="small" appearance="primary" onClick={() => onPick(prefix, 'folder')}>
                Use this folder
              </Button>
            ) : null}
          </>
        ) : null}
      </p>
      <ErrorBar error={entries.error} />
      {entries.loading ? <Loading /> : null}
      {entries.data?.value.length === 0 ? <p>Empty.</p> : null}
      <ul className={styles.list}>
        {listed.map((e) => (
          <li key={e.name}>
            {e.kind === 'folder' ? (
              <Button size="small" appearance="subtle" aria-label={`Open folder ${short(e.name)}`} onClick={() => open(e.name)}>
                📁 {short(e.name)}
              </Button>
            ) : onPick ? (
              <Button size="small" appearance="subtle" aria-label={`Pick file ${short(e.name)}`} onClick={() => onPick(e.name, 'file')}>
                📄 {short(e.name)} ({e.size} bytes)
              </Button>
            ) : (
              <span>
                📄 {short(e.name)} ({e.size} bytes)
              </span>
            )}
          </li>
        ))}
      </ul>
      {showMore}
    </div>
  );
}

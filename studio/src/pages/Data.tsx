import { enc, type ArmResource } from '../api';
import { ErrorBar, ListPage, PageHeader, Section, formatTime, useLoad, useSession } from '../common';
import { Link } from '../router';
import { DatastoreBrowser } from './DatastoreBrowser';

export function DataPage() {
  const { api } = useSession();
  const data = useLoad(() => api.list('data'), [api]);
  return (
    <ListPage<ArmResource>
      title="Data assets"
      load={data}
      empty="No data assets registered."
      label="Data assets"
      rowKey={(d) => d.name}
      columns={[
        ['Name', (d) => <Link to={`/data/${enc(d.name)}`}>{d.name}</Link>],
        ['Latest version', (d) => d.properties.latestVersion],
        ['Description', (d) => d.properties.description],
        ['Registered', (d) => formatTime(d.systemData?.lastModifiedAt)],
      ]}
    />
  );
}

/** A data asset's versions: type, URI, description. */
export function DataAssetPage({ name }: { name: string }) {
  const { api } = useSession();
  const versions = useLoad(() => api.list(`data/${enc(name)}/versions`), [api, name]);
  return (
    <ListPage<ArmResource>
      title={`Data asset ${name}`}
      load={versions}
      empty={`No data asset named ${name} is registered.`}
      label="Data asset versions"
      rowKey={(v) => v.name}
      columns={[
        ['Version', (v) => v.name],
        ['Type', (v) => v.properties.dataType],
        ['URI', (v) => v.properties.dataUri],
        ['Description', (v) => v.properties.description],
        ['Registered', (v) => formatTime(v.systemData?.createdAt)],
      ]}
    />
  );
}

export function DatastoresPage() {
  const { api } = useSession();
  const stores = useLoad(() => api.list('datastores'), [api]);
  return (
    <ListPage<ArmResource>
      title="Datastores"
      load={stores}
      empty="No datastores."
      label="Datastores"
      rowKey={(d) => d.name}
      columns={[
        ['Name', (d) => <Link to={`/datastores/${enc(d.name)}`}>{d.name}</Link>],
        ['Type', (d) => d.properties.datastoreType],
        ['Account', (d) => d.properties.accountName],
        ['Container', (d) => d.properties.containerName],
        // The app's own datastores exist as long as it does: the API dates them 1970-01-01 (createdBy 'system').
        ['Created', (d) => (d.systemData?.createdBy === 'system' ? 'built in' : formatTime(d.systemData?.createdAt))],
      ]}
    />
  );
}

/** A datastore's settings and its folders and files. */
export function DatastorePage({ name }: { name: string }) {
  const { api } = useSession();
  const store = useLoad(() => api.get(`datastores/${enc(name)}`), [api, name]);
  const p = store.data?.properties ?? {};
  return (
    <Section>
      <PageHeader title={`Datastore ${name}`} />
      <ErrorBar error={store.error} />
      {store.data ? (
        <p>
          {p.datastoreType} {p.accountName ? `account ${p.accountName}, ` : ''}container {p.containerName}
          {p.isDefault ? ' (the workspace default)' : ''}
        </p>
      ) : null}
      <DatastoreBrowser datastore={name} />
    </Section>
  );
}

import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { enc } from '../api';
import { ErrorBar, Loading, PageHeader, Section, formatTime, useLoad, useSession } from '../common';
import { Link } from '../router';
import { DatastoreBrowser } from './DatastoreBrowser';

export function DataPage() {
  const { api } = useSession();
  const data = useLoad(() => api.list('data'), [api]);
  return (
    <Section>
      <PageHeader title="Data assets" />
      <ErrorBar error={data.error} />
      {!data.data && !data.error ? <Loading /> : null}
      {data.data?.length === 0 ? <p>No data assets registered.</p> : null}
      {data.data?.length ? (
        <Table aria-label="Data assets">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Latest version</TableHeaderCell>
              <TableHeaderCell>Description</TableHeaderCell>
              <TableHeaderCell>Registered</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.data.map((d) => (
              <TableRow key={d.name}>
                <TableCell>
                  <Link to={`/data/${enc(d.name)}`}>{d.name}</Link>
                </TableCell>
                <TableCell>{d.properties.latestVersion}</TableCell>
                <TableCell>{d.properties.description}</TableCell>
                <TableCell>{formatTime(d.systemData?.lastModifiedAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </Section>
  );
}

export function DatastoresPage() {
  const { api } = useSession();
  const stores = useLoad(() => api.list('datastores'), [api]);
  return (
    <Section>
      <PageHeader title="Datastores" />
      <ErrorBar error={stores.error} />
      {!stores.data && !stores.error ? <Loading /> : null}
      {stores.data?.length ? (
        <Table aria-label="Datastores">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Type</TableHeaderCell>
              <TableHeaderCell>Account</TableHeaderCell>
              <TableHeaderCell>Container</TableHeaderCell>
              <TableHeaderCell>Created</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {stores.data.map((d) => (
              <TableRow key={d.name}>
                <TableCell>
                  <Link to={`/datastores/${enc(d.name)}`}>{d.name}</Link>
                </TableCell>
                <TableCell>{d.properties.datastoreType}</TableCell>
                <TableCell>{d.properties.accountName}</TableCell>
                <TableCell>{d.properties.containerName}</TableCell>
                <TableCell>{formatTime(d.systemData?.createdAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </Section>
  );
}

/** A data asset's versions: type, URI, description. */
export function DataAssetPage({ name }: { name: string }) {
  const { api } = useSession();
  const versions = useLoad(() => api.list(`data/${enc(name)}/versions`), [api, name]);
  return (
    <Section>
      <PageHeader title={`Data asset ${name}`} />
      <ErrorBar error={versions.error} />
      {!versions.data && !versions.error ? <Loading /> : null}
      {versions.data?.length ? (
        <Table aria-label="Data asset versions">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Version</TableHeaderCell>
              <TableHeaderCell>Type</TableHeaderCell>
              <TableHeaderCell>URI</TableHeaderCell>
              <TableHeaderCell>Description</TableHeaderCell>
              <TableHeaderCell>Registered</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {versions.data.map((v) => (
              <TableRow key={v.name}>
                <TableCell>{v.name}</TableCell>
                <TableCell>{v.properties.dataType}</TableCell>
                <TableCell>{v.properties.dataUri}</TableCell>
                <TableCell>{v.properties.description}</TableCell>
                <TableCell>{formatTime(v.systemData?.createdAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </Section>
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

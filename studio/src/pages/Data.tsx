import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { ErrorBar, Loading, PageHeader, Section, formatTime, useLoad, useSession } from '../common';

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
                <TableCell>{d.name}</TableCell>
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
                <TableCell>{d.name}</TableCell>
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

import { Button, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { enc } from '../api';
import { can } from '../auth';
import { ErrorBar, Loading, PageHeader, Section, formatTime, useLoad, useSession } from '../common';
import { Link, navigate } from '../router';

export function ModelsPage() {
  const { api } = useSession();
  const models = useLoad(() => api.list('models'), [api]);
  return (
    <Section>
      <PageHeader title="Models" />
      <ErrorBar error={models.error} />
      {!models.data && !models.error ? <Loading /> : null}
      {models.data?.length === 0 ? <p>No models registered.</p> : null}
      {models.data?.length ? (
        <Table aria-label="Models">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Latest version</TableHeaderCell>
              <TableHeaderCell>Description</TableHeaderCell>
              <TableHeaderCell>Registered</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {models.data.map((m) => (
              <TableRow key={m.name}>
                <TableCell>
                  <Link to={`/models/${enc(m.name)}`}>{m.name}</Link>
                </TableCell>
                <TableCell>{m.properties.latestVersion}</TableCell>
                <TableCell>{m.properties.description}</TableCell>
                <TableCell>{formatTime(m.systemData?.lastModifiedAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </Section>
  );
}

export function ModelPage({ model }: { model: string }) {
  const { api, session } = useSession();
  const versions = useLoad(() => api.list(`models/${enc(model)}/versions`), [api, model]);
  return (
    <Section>
      <PageHeader title={`Model ${model}`}>
        {can(session, 'Manage') ? (
          <Button appearance="primary" onClick={() => navigate(`/models/${enc(model)}/deploy`)}>
            Deploy to batch endpoint
          </Button>
        ) : null}
      </PageHeader>
      <ErrorBar error={versions.error} />
      {!versions.data && !versions.error ? <Loading /> : null}
      {versions.data?.length ? (
        <Table aria-label="Model versions">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Version</TableHeaderCell>
              <TableHeaderCell>Type</TableHeaderCell>
              <TableHeaderCell>Model URI</TableHeaderCell>
              <TableHeaderCell>Description</TableHeaderCell>
              <TableHeaderCell>Registered</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {versions.data.map((v) => (
              <TableRow key={v.name}>
                <TableCell>{v.name}</TableCell>
                <TableCell>{v.properties.modelType}</TableCell>
                <TableCell>{v.properties.modelUri}</TableCell>
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

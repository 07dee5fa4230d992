import {
  Button, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow,
} from '@fluentui/react-components';
import { enc, type Api, type ArmResource } from '../api';
import { can } from '../auth';
import { ErrorBar, Loading, PageHeader, Section, StatusBadge, formatTime, useLoad, useSession } from '../common';
import { DeleteButton } from '../confirm';
import { Link, navigate } from '../router';

interface EndpointRow {
  endpoint: ArmResource;
  deployments: string[];
  jobs: number;
  moreJobs: boolean;
  lastJob?: ArmResource;
}

async function loadRows(api: Api): Promise<EndpointRow[]> {
  const endpoints = await api.list('batchEndpoints');
  return Promise.all(
    endpoints.map(async (endpoint) => {
      const [deployments, jobs] = await Promise.all([
        api.list(`batchEndpoints/${enc(endpoint.name)}/deployments`),
        api.get<{ value: ArmResource[]; nextLink?: string }>(`batchEndpoints/${enc(endpoint.name)}/jobs?$top=50`),
      ]);
      return { endpoint, deployments: deployments.map((d) => d.name), jobs: jobs.value.length, moreJobs: !!jobs.nextLink, lastJob: jobs.value[0] };
    }),
  );
}

export function EndpointsPage() {
  const { api, session } = useSession();
  const rows = useLoad(() => loadRows(api), [api]);
  const manage = can(session, 'Manage');
  return (
    <Section>
      <PageHeader title="Batch endpoints">
        {manage ? (
          <Button appearance="primary" onClick={() => navigate('/endpoints/new')}>
            Create
          </Button>
        ) : null}
      </PageHeader>
      <ErrorBar error={rows.error} />
      {rows.loading && !rows.data ? <Loading /> : null}
      {rows.data && rows.data.length === 0 ? <p>No batch endpoints yet.{manage ? ' Create one to deploy a model.' : ''}</p> : null}
      {rows.data && rows.data.length > 0 ? (
        <Table aria-label="Batch endpoints">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Default deployment</TableHeaderCell>
              <TableHeaderCell>Deployments</TableHeaderCell>
              <TableHeaderCell>Jobs</TableHeaderCell>
              <TableHeaderCell>Last job</TableHeaderCell>
              <TableHeaderCell>Created</TableHeaderCell>
              {manage ? <TableHeaderCell>Actions</TableHeaderCell> : null}
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.data.map((row) => (
              <TableRow key={row.endpoint.name} data-endpoint={row.endpoint.name}>
                <TableCell>
                  <Link to={`/endpoints/${enc(row.endpoint.name)}`}>{row.endpoint.name}</Link>
                </TableCell>
                <TableCell>{row.endpoint.properties.defaults?.deploymentName ?? 'none'}</TableCell>
                <TableCell>{row.deployments.length}</TableCell>
                <TableCell>{row.jobs}{row.moreJobs ? '+' : ''}</TableCell>
                <TableCell>
                  <StatusBadge status={row.lastJob?.properties.status} /> {formatTime(row.lastJob?.properties.creationTime)}
                </TableCell>
                <TableCell>{formatTime(row.endpoint.systemData?.createdAt)}</TableCell>
                {manage ? (
                  <TableCell>
                    <DeleteEndpoint name={row.endpoint.name} deployments={row.deployments} onDeleted={rows.reload} />
                  </TableCell>
                ) : null}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </Section>
  );
}

/** Deleting an endpoint deletes its deployments too: the confirmation says so, by name. */
export function DeleteEndpoint({ name, deployments, onDeleted }: { name: string; deployments: string[]; onDeleted: () => void }) {
  const { api } = useSession();
  const what = deployments.length
    ? `Its ${deployments.length} deployment${deployments.length > 1 ? 's' : ''} (${deployments.join(', ')}) will be deleted with it. `
    : 'It has no deployments. ';
  return (
    <DeleteButton
      label={`Delete endpoint ${name}`}
      confirmation={{ title: `Delete endpoint ${name}?`, body: `${what}Outputs of jobs already run stay in their datastores. This cannot be undone.`, action: 'Delete endpoint' }}
      remove={() => api.json('DELETE', `batchEndpoints/${enc(name)}`)}
      onDeleted={onDeleted}
    />
  );
}

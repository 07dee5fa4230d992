import { Button } from '@fluentui/react-components';
import { enc, type Api, type ArmResource } from '../api';
import { can } from '../auth';
import { DataTable, ErrorBar, Loading, PageHeader, Section, StatusBadge, formatTime, useLoad, useSession, type Column } from '../common';
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
        <DataTable<EndpointRow>
          label="Batch endpoints"
          rows={rows.data}
          rowKey={(row) => row.endpoint.name}
          rowData="endpoint"
          columns={[
            ['Name', (row) => <Link to={`/endpoints/${enc(row.endpoint.name)}`}>{row.endpoint.name}</Link>],
            ['Default deployment', (row) => row.endpoint.properties.defaults?.deploymentName ?? 'none'],
            ['Deployments', (row) => row.deployments.length],
            ['Jobs', (row) => `${row.jobs}${row.moreJobs ? '+' : ''}`],
            ['Last job', (row) => (<><StatusBadge status={row.lastJob?.properties.status} /> {formatTime(row.lastJob?.properties.creationTime)}</>)],
            ['Created', (row) => formatTime(row.endpoint.systemData?.createdAt)],
            ...(manage ? [['Actions', (row: EndpointRow) => <DeleteEndpoint name={row.endpoint.name} deployments={row.deployments} onDeleted={rows.reload} />] as Column<EndpointRow>] : []),
          ]}
        />
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

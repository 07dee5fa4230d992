import { useState } from 'react';
import {
  Badge, Button, Input, Tab, TabList, Field, makeStyles, tokens,
} from '@fluentui/react-components';
import { enc, type ArmResource } from '../api';
import { can } from '../auth';
import { DataTable, ErrorBar, Loading, PageHeader, Section, StatusBadge, duration, formatTime, useLoad, useSession, useShowMore, type Column, type Paged } from '../common';
import { DeleteButton } from '../confirm';
import { Link, navigate } from '../router';
import { DeleteEndpoint } from './Endpoints';

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  uri: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'end', maxWidth: '900px' },
  grow: { flexGrow: 1 },
});

export function EndpointPage({ endpoint, tab }: { endpoint: string; tab: 'details' | 'runs' }) {
  const { api, session } = useSession();
  const styles = useStyles();
  const data = useLoad(
    async () => ({
      endpoint: await api.get<ArmResource>(`batchEndpoints/${enc(endpoint)}`),
      deployments: await api.list(`batchEndpoints/${enc(endpoint)}/deployments`),
    }),
    [api, endpoint],
  );
  const [copied, setCopied] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  if (data.error && !data.data) return <ErrorBar error={data.error} />;
  if (!data.data) return <Loading />;
  const e = data.data.endpoint;
  const defaultName: string | undefined = e.properties.defaults?.deploymentName;
  const manage = can(session, 'Manage');

  const act = async (work: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await work();
      data.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const makeDefault = (name: string) =>
    act(() => api.json('PATCH', `batchEndpoints/${enc(endpoint)}`, { properties: { defaults: { deploymentName: name } } }));

  return (
    <Section>
      <PageHeader title={`Endpoint ${e.name}`}>
        {can(session, 'Invoke') ? (
          <Button appearance="primary" onClick={() => navigate(`/endpoints/${enc(endpoint)}/jobs/new`)}>
            Create job
          </Button>
        ) : null}
        {manage ? <Button onClick={() => navigate(`/endpoints/${enc(endpoint)}/deployments/new`)}>Add deployment</Button> : null}
        {manage ? <DeleteEndpoint name={e.name} deployments={data.data.deployments.map((d) => d.name)} onDeleted={() => navigate('/endpoints')} /> : null}
      </PageHeader>
      <TabList selectedValue={tab} onTabSelect={(_, d) => navigate(`/endpoints/${enc(endpoint)}${d.value === 'runs' ? '/runs' : ''}`)}>
        <Tab value="details">Details</Tab>
        <Tab value="runs">Runs</Tab>
      </TabList>
      <ErrorBar error={actionError} />
      {tab === 'details' ? (
        <>
          <div className={styles.uri}>
            <Field label="Scoring URI" className={styles.grow}>
              <Input readOnly value={e.properties.scoringUri ?? ''} />
            </Field>
            <Button
              aria-label="Copy scoring URI"
              onClick={() => void navigator.clipboard?.writeText(e.properties.scoringUri).then(() => setCopied(true), () => setCopied(false))}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </div>
          <dl className={styles.facts}>
            <dt>Authentication</dt>
            <dd>{e.properties.authMode ?? 'AADToken'} (Entra ID token)</dd>
            <dt>Default deployment</dt>
            <dd data-testid="default-deployment">{defaultName ?? 'none'}</dd>
            <dt>Description</dt>
            <dd>{e.properties.description || 'none'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(e.systemData?.createdAt)} by {e.systemData?.createdBy}</dd>
          </dl>
          <h2>Deployments</h2>
          {data.data.deployments.length === 0 ? <p>No deployments yet.</p> : null}
          {data.data.deployments.length ? (
            <DataTable<ArmResource>
              label="Deployments"
              rows={data.data.deployments}
              rowKey={(d) => d.name}
              rowData="deployment"
              columns={[
                ['Name', (d) => (<>{d.name} {d.name === defaultName ? <Badge appearance="outline">default</Badge> : null}</>)],
                ['Model', (d) => (typeof d.properties.model === 'string' ? d.properties.model : d.properties.model?.assetId)],
                ['Scoring', (d) => (d.properties.codeConfiguration ? `${d.properties.codeConfiguration.scoringScript} (${d.properties.codeConfiguration.codeId})` : 'no code')],
                ['Settings', (d) => settingsText(d.properties)],
                ...(manage
                  ? [
                      [
                        'Actions',
                        (d: ArmResource) => (
                          <>
                            {d.name !== defaultName ? (
                              <Button size="small" onClick={() => void makeDefault(d.name)} aria-label={`Make ${d.name} the default`}>
                                Make default
                              </Button>
                            ) : null}{' '}
                            <DeleteDeployment endpoint={endpoint} name={d.name} isDefault={d.name === defaultName} onDeleted={data.reload} />
                          </>
                        ),
                      ] as Column<ArmResource>,
                    ]
                  : []),
              ]}
            />
          ) : null}
        </>
      ) : (
        <Runs endpoint={endpoint} />
      )}
    </Section>
  );
}

function DeleteDeployment({ endpoint, name, isDefault, onDeleted }: { endpoint: string; name: string; isDefault: boolean; onDeleted: () => void }) {
  const { api } = useSession();
  const warning = isDefault ? 'It is the default deployment: make another one the default first, or the API refuses. ' : '';
  return (
    <DeleteButton
      size="small"
      label={`Delete deployment ${name}`}
      confirmation={{ title: `Delete deployment ${name}?`, body: `${warning}Jobs it already ran keep their outputs.`, action: 'Delete deployment' }}
      remove={() => api.json('DELETE', `batchEndpoints/${enc(endpoint)}/deployments/${enc(name)}`)}
      onDeleted={onDeleted}
    />
  );
}

/** A deployment's settings in one line. */
function settingsText(p: Record<string, any>): string {
  return (
    `mini-batch ${p.miniBatchSize}, instances ${p.resources?.instanceCount}, concurrency ${p.maxConcurrencyPerInstance}, ` +
    `error threshold ${p.errorThreshold}, retries ${p.retrySettings?.maxRetries} / ${p.retrySettings?.timeout}, ${p.outputAction} ${p.outputFileName}, ${p.loggingLevel}`
  );
}

/** The Runs tab: the endpoint's jobs, newest first, refreshed while any is running. */
function Runs({ endpoint }: { endpoint: string }) {
  const { api } = useSession();
  const jobs = useLoad(
    () => api.get<Paged<ArmResource>>(`batchEndpoints/${enc(endpoint)}/jobs?$top=50`),
    [api, endpoint],
    (page) => (page?.value.some((j) => !['Completed', 'Failed', 'Canceled'].includes(j.properties.status)) ? 2000 : undefined),
  );
  // Older jobs than the newest 50 are a Show more away (they were not listed at all).
  const { items, control: showMore } = useShowMore(jobs.data, endpoint, (j) => j.name);
  if (jobs.error && !jobs.data) return <ErrorBar error={jobs.error} />;
  if (!jobs.data) return <Loading />;
  if (items.length === 0) return <p>No jobs yet.</p>;
  return (
    <>
      <DataTable<ArmResource>
        label="Jobs"
        rows={items}
        rowKey={(j) => j.name}
        columns={[
          ['Job', (j) => <Link to={`/endpoints/${enc(endpoint)}/jobs/${enc(j.name)}`}>{j.name}</Link>],
          ['Status', (j) => <StatusBadge status={j.properties.status} />],
          ['Deployment', (j) => j.properties.deploymentName],
          ['Items succeeded / failed / total', (j) => `${j.properties.progress?.itemsSucceeded} / ${j.properties.progress?.itemsFailed} / ${j.properties.progress?.itemsTotal}`],
          ['Created', (j) => formatTime(j.properties.creationTime)],
          ['Duration', (j) => duration(j.properties.startTime ?? j.properties.creationTime, j.properties.endTime)],
        ]}
      />
      {showMore}
    </>
  );
}

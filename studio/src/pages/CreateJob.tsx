import { useEffect, useState } from 'react';
import {
  Button, Checkbox, Field, Input, Radio, RadioGroup, Select, Subtitle2, Switch, makeStyles, tokens,
} from '@fluentui/react-components';
import { ApiFailure, enc, type ArmResource } from '../api';
import { can } from '../auth';
import { ErrorBar, Loading, PageHeader, Section, useLoad, useSession } from '../common';
import { navigate } from '../router';
import { DatastoreBrowser, listPaths } from './DatastoreBrowser';
import { fieldProblem, inputNameProblem, settingProblems } from '../settings';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '720px' },
  grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`, alignItems: 'start' },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'end' },
  grow: { flexGrow: 1 },
});

type Source = 'data' | 'datastore' | 'url';
interface Literal {
  name: string;
  value: string;
}

const OVERRIDES = [
  ['miniBatchSize', 'Mini-batch size'],
  ['instanceCount', 'Instance count'],
  ['maxConcurrencyPerInstance', 'Max concurrency per instance'],
  ['errorThreshold', 'Error threshold'],
  ['maxRetries', 'Max retries'],
  ['timeoutSeconds', 'Timeout (seconds)'],
  ['outputFileName', 'Output file name'],
  ['loggingLevel', 'Logging level'],
] as const;
type OverrideName = (typeof OVERRIDES)[number][0];

/** The deployment's own values, as the override fields start. */
function settingsOf(d: ArmResource | undefined): Record<OverrideName, string> {
  const p = d?.properties ?? {};
  const seconds = /^PT(\d+)S$/.exec(p.retrySettings?.timeout ?? '')?.[1] ?? '30';
  return {
    miniBatchSize: String(p.miniBatchSize ?? 10),
    instanceCount: String(p.resources?.instanceCount ?? 1),
    maxConcurrencyPerInstance: String(p.maxConcurrencyPerInstance ?? 1),
    errorThreshold: String(p.errorThreshold ?? -1),
    maxRetries: String(p.retrySettings?.maxRetries ?? 3),
    timeoutSeconds: seconds,
    outputFileName: p.outputFileName ?? 'predictions.csv',
    loggingLevel: p.loggingLevel ?? 'Info',
  };
}

export function CreateJobPage({ endpoint }: { endpoint: string }) {
  const { api, session } = useSession();
  const styles = useStyles();
  const loaded = useLoad(
    async () => {
      const [e, deployments, datastores, data] = await Promise.all([
        api.get<ArmResource>(`batchEndpoints/${enc(endpoint)}`),
        api.list(`batchEndpoints/${enc(endpoint)}/deployments`),
        api.list('datastores'),
        api.list('data').catch(() => [] as ArmResource[]),
      ]);
      return { endpoint: e, deployments, datastores, data };
    },
    [api, endpoint],
  );
  const defaultName: string = loaded.data?.endpoint.properties.defaults?.deploymentName ?? '';
  const [deployment, setDeployment] = useState('');
  const [makeDefault, setMakeDefault] = useState(false);
  const [override, setOverride] = useState(false);
  const [settings, setSettings] = useState<Record<OverrideName, string>>(settingsOf(undefined));
  const [source, setSource] = useState<Source>('datastore');
  const [inputName, setInputName] = useState('data');
  const [inputType, setInputType] = useState<'UriFolder' | 'UriFile'>('UriFolder');
  const [dataAsset, setDataAsset] = useState('');
  const [dataVersion, setDataVersion] = useState('latest');
  const [datastore, setDatastore] = useState('workspaceblobstore');
  const [path, setPath] = useState('');
  const [url, setUrl] = useState('');
  const [literals, setLiterals] = useState<Literal[]>([]);
  const [customOutput, setCustomOutput] = useState(false);
  const [outputType, setOutputType] = useState<'UriFile' | 'UriFolder'>('UriFile');
  const [outputDatastore, setOutputDatastore] = useState('workspaceblobstore');
  const [outputPath, setOutputPath] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [outputTakenNow, setOutputTakenNow] = useState<string>();
  const [inputChecked, setInputChecked] = useState<{ of: string; problem?: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const chosen = loaded.data?.deployments.find((d) => d.name === deployment);
  useEffect(() => {
    if (!deployment && loaded.data) setDeployment(defaultName || loaded.data.deployments[0]?.name || '');
  }, [loaded.data, defaultName, deployment]);
  useEffect(() => setSettings(settingsOf(chosen)), [chosen]);
  const versions = useLoad(async () => (dataAsset ? api.list(`data/${enc(dataAsset)}/versions`) : []), [api, dataAsset]);

  if (loaded.error && !loaded.data) return <ErrorBar error={loaded.error} />;
  if (!loaded.data) return <Loading />;

  const overrideProblems = override ? settingProblems(settings) : {};
  const literalProblem = (l: Literal) =>
    inputNameProblem(l.name) ?? (l.name === inputName ? 'The input data has this name already.' : literals.filter((x) => x.name === l.name).length > 1 ? 'Two literal inputs have this name.' : undefined);

  const inputUri = (): string => {
    if (source === 'data') return dataVersion === 'latest' ? `azureml:${dataAsset}@latest` : `azureml:${dataAsset}:${dataVersion}`;
    if (source === 'datastore') return `azureml://datastores/${datastore}/paths/${path.replace(/^\/+/, '')}`;
    return url.trim();
  };

  const body = () => {
    const type = source === 'data' ? (versions.data?.find((v) => v.name === dataVersion)?.properties.dataType ?? versions.data?.[0]?.properties.dataType) === 'uri_file' ? 'UriFile' : 'UriFolder' : inputType;
    const inputData: Record<string, unknown> = { [inputName]: { JobInputType: type, Uri: inputUri() } };
    for (const l of literals.filter((l) => l.name)) inputData[l.name] = { JobInputType: 'Literal', Value: l.value };
    const properties: Record<string, unknown> = { InputData: inputData };
    if (customOutput) {
      properties.OutputData = { score: { JobOutputType: outputType, Uri: `azureml://datastores/${outputDatastore}/paths/${outputPath.replace(/^\/+/, '')}` } };
    }
    if (override) {
      const base = settingsOf(chosen);
      const changed = (k: OverrideName) => settings[k] !== base[k];
      for (const k of ['miniBatchSize', 'instanceCount', 'maxConcurrencyPerInstance', 'errorThreshold'] as const) if (changed(k)) properties[k] = Number(settings[k]);
      if (changed('maxRetries') || changed('timeoutSeconds')) properties.retrySettings = { maxRetries: Number(settings.maxRetries), timeout: `PT${Number(settings.timeoutSeconds)}S` };
      if (changed('outputFileName')) properties.outputFileName = settings.outputFileName;
      if (changed('loggingLevel')) properties.loggingLevel = settings.loggingLevel;
    }
    return { properties };
  };

  const problem = (): string | undefined => {
    if (!deployment) return 'This endpoint has no deployment: add one first.';
    if (Object.keys(overrideProblems).length) return 'Correct the settings marked above, or turn off Override deployment settings.';
    if (inputNameProblem(inputName)) return `Input name: ${inputNameProblem(inputName)}`;
    if (literals.some((l) => l.name && literalProblem(l))) return 'Correct the literal input names marked above.';
    if (source === 'data' && !dataAsset) return 'Pick a data asset.';
    if (source === 'datastore' && !path.trim()) return 'Enter the path in the datastore.';
    if (source === 'url' && !/^https:\/\//.test(url.trim())) return 'The public URL must start with https://.';
    if (customOutput && !outputPath.trim()) return 'Enter the output path, or use the default output location.';
    return undefined;
  };

  /** The blob the output would be written to, if it exists already (the API would answer 409). */
  const outputTarget = () => {
    const base = outputPath.trim().replace(/^\/+/, '');
    return outputType === 'UriFolder' ? `${base.replace(/\/+$/, '')}/${settings.outputFileName}` : base;
  };
  const checkOutput = async (): Promise<boolean> => {
    if (!customOutput || !outputPath.trim()) return false;
    const target = outputTarget();
    const entries = await listPaths(api, outputDatastore, target).catch(() => []);
    const taken = entries.some((e) => e.kind === 'file' && e.name === target);
    setOutputTakenNow(taken ? target : undefined);
    return taken;
  };

  /**
   * What is at the typed datastore path, checked before the job starts: a file given as a folder
   * made a job that failed with "The input folder '...csv' has no files", a missing path one that failed at once.
   */
  const inputKey = `${datastore}|${path}|${inputType}`;
  const checkInput = async (): Promise<string | undefined> => {
    const target = path.trim().replace(/^\/+/, '');
    if (source !== 'datastore' || !target) return undefined;
    // When the folder cannot be listed (e.g. another account without access), the job itself will say why.
    const entries = await listPaths(api, datastore, target).catch(() => undefined);
    const isFile = entries?.some((e) => e.kind === 'file' && e.name === target);
    const found =
      !entries ? undefined
      : inputType === 'UriFolder' && isFile ? `${target} is a file: choose File (uri_file), or give its folder.`
      : inputType === 'UriFile' && !isFile ? `There is no file ${target} in ${datastore}.`
      : entries.length === 0 ? `There is nothing at ${target} in ${datastore}.`
      : undefined;
    setInputChecked({ of: inputKey, problem: found });
    return found;
  };
  const inputProblem = inputChecked?.of === inputKey ? inputChecked.problem : undefined;

  const submit = async () => {
    const p = problem();
    if (p) return setError(new Error(p));
    const wrongInput = await checkInput();
    if (wrongInput) return setError(new Error(`Input: ${wrongInput}`));
    if (await checkOutput()) return setError(new ApiFailure(409, 'OutputAlreadyExists', `The output ${outputTarget()} already exists in datastore ${outputDatastore}; outputs are never overwritten.`));
    setBusy(true);
    setError(undefined);
    try {
      if (makeDefault && deployment !== defaultName) {
        await api.json('PATCH', `batchEndpoints/${enc(endpoint)}`, { properties: { defaults: { deploymentName: deployment } } });
      }
      const job = await api.json<ArmResource>('POST', `batchEndpoints/${enc(endpoint)}/jobs`, body(), { 'azureml-model-deployment': deployment });
      navigate(`/endpoints/${enc(endpoint)}/jobs/${enc(job.name)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const outputTaken = error instanceof ApiFailure && error.status === 409 && error.code === 'OutputAlreadyExists';
  return (
    <Section>
      <PageHeader title={`Create job on ${endpoint}`} />
      <div className={styles.form}>
        <Subtitle2 as="h2">Deployment</Subtitle2>
        <Field label="Deployment">
          <Select value={deployment} onChange={(_, d) => setDeployment(d.value)}>
            {loaded.data.deployments.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name}
                {d.name === defaultName ? ' (default)' : ''}
              </option>
            ))}
          </Select>
        </Field>
        {can(session, 'Manage') && deployment && deployment !== defaultName ? (
          <Checkbox checked={makeDefault} onChange={(_, d) => setMakeDefault(!!d.checked)} label="Make this the endpoint's default deployment" />
        ) : null}
        <Switch checked={override} onChange={(_, d) => setOverride(d.checked)} label="Override deployment settings" />
        {override ? (
          <div className={styles.grid}>
            {OVERRIDES.map(([name, label]) =>
              name === 'loggingLevel' ? (
                <Field key={name} label={label}>
                  <Select value={settings.loggingLevel} onChange={(_, d) => setSettings({ ...settings, loggingLevel: d.value })}>
                    <option>Warning</option>
                    <option>Info</option>
                    <option>Debug</option>
                  </Select>
                </Field>
              ) : (
                <Field key={name} label={label} {...fieldProblem(overrideProblems[name])}>
                  <Input
                    type={name === 'outputFileName' ? 'text' : 'number'}
                    value={settings[name]}
                    onChange={(_, d) => setSettings({ ...settings, [name]: d.value })}
                  />
                </Field>
              ),
            )}
          </div>
        ) : null}

        <Subtitle2 as="h2">Input</Subtitle2>
        <Field label="Input name" {...fieldProblem(inputNameProblem(inputName))}>
          <Input value={inputName} onChange={(_, d) => setInputName(d.value)} />
        </Field>
        <Field label="Input data from">
          <RadioGroup layout="horizontal" value={source} onChange={(_, d) => setSource(d.value as Source)}>
            <Radio value="data" label="Registered data asset" />
            <Radio value="datastore" label="Datastore path" />
            <Radio value="url" label="Public URL" />
          </RadioGroup>
        </Field>
        {source === 'data' ? (
          <div className={styles.grid}>
            <Field label="Data asset">
              <Select value={dataAsset} onChange={(_, d) => { setDataAsset(d.value); setDataVersion('latest'); }}>
                <option value="">Select a data asset</option>
                {loaded.data.data.map((a) => (
                  <option key={a.name}>{a.name}</option>
                ))}
              </Select>
            </Field>
            <Field label="Version">
              <Select value={dataVersion} onChange={(_, d) => setDataVersion(d.value)}>
                <option value="latest">latest</option>
                {(versions.data ?? []).map((v) => (
                  <option key={v.name}>{v.name}</option>
                ))}
              </Select>
            </Field>
          </div>
        ) : null}
        {source === 'datastore' ? (
          <div className={styles.grid}>
            <Field label="Datastore">
              <Select value={datastore} onChange={(_, d) => setDatastore(d.value)}>
                {loaded.data.datastores.map((d) => (
                  <option key={d.name}>{d.name}</option>
                ))}
              </Select>
            </Field>
            <Field label="Path in the datastore" hint="A folder (read recursively) or one file" {...fieldProblem(inputProblem)}>
              <Input value={path} onChange={(_, d) => setPath(d.value)} onBlur={() => void checkInput()} placeholder="samples/iris/data/" />
            </Field>
            <div>
              <Button onClick={() => setBrowsing(!browsing)} aria-expanded={browsing}>
                {browsing ? 'Close the datastore browser' : 'Browse the datastore'}
              </Button>
            </div>
          </div>
        ) : null}
        {source === 'datastore' && browsing ? (
          <DatastoreBrowser
            datastore={datastore}
            onPick={(picked, kind) => {
              setPath(picked);
              setInputType(kind === 'file' ? 'UriFile' : 'UriFolder');
              setBrowsing(false);
            }}
          />
        ) : null}
        {source === 'url' ? (
          <Field label="Public URL">
            <Input value={url} onChange={(_, d) => setUrl(d.value)} placeholder="https://..." />
          </Field>
        ) : null}
        {source !== 'data' ? (
          <Field label="Input type">
            <RadioGroup layout="horizontal" value={inputType} onChange={(_, d) => setInputType(d.value as 'UriFolder' | 'UriFile')}>
              <Radio value="UriFolder" label="Folder (uri_folder)" />
              <Radio value="UriFile" label="File (uri_file)" />
            </RadioGroup>
          </Field>
        ) : null}

        <Subtitle2 as="h2">Literal inputs</Subtitle2>
        {literals.map((l, i) => (
          <div key={i} className={styles.row}>
            <Field label={`Literal ${i + 1} name`} className={styles.grow} {...fieldProblem(l.name ? literalProblem(l) : undefined)}>
              <Input value={l.name} onChange={(_, d) => setLiterals(literals.map((x, j) => (j === i ? { ...x, name: d.value } : x)))} />
            </Field>
            <Field label={`Literal ${i + 1} value`} className={styles.grow}>
              <Input value={l.value} onChange={(_, d) => setLiterals(literals.map((x, j) => (j === i ? { ...x, value: d.value } : x)))} />
            </Field>
            <Button aria-label={`Remove literal ${i + 1}`} onClick={() => setLiterals(literals.filter((_, j) => j !== i))}>
              Remove
            </Button>
          </div>
        ))}
        <div>
          <Button onClick={() => setLiterals([...literals, { name: '', value: '' }])}>Add literal input</Button>
        </div>

        <Subtitle2 as="h2">Output</Subtitle2>
        <Switch checked={customOutput} onChange={(_, d) => setCustomOutput(d.checked)} label="Configure output location" />
        {customOutput ? (
          <div className={styles.grid}>
            <Field label="Output datastore">
              <Select value={outputDatastore} onChange={(_, d) => setOutputDatastore(d.value)}>
                {loaded.data.datastores.map((d) => (
                  <option key={d.name}>{d.name}</option>
                ))}
              </Select>
            </Field>
            <Field
              label="Output path"
              hint="Must not exist yet: outputs are never overwritten"
              validationState={outputTakenNow ? 'error' : 'none'}
              validationMessage={outputTakenNow ? `${outputTakenNow} already exists: choose a new path.` : undefined}
            >
              <Input value={outputPath} onChange={(_, d) => setOutputPath(d.value)} onBlur={() => void checkOutput()} />
            </Field>
            <Field label="Output type">
              <Select value={outputType} onChange={(_, d) => setOutputType(d.value as 'UriFile' | 'UriFolder')}>
                <option value="UriFile">File (the output file itself)</option>
                <option value="UriFolder">Folder (output file name inside it)</option>
              </Select>
            </Field>
          </div>
        ) : (
          <p>Default: azureml://datastores/workspaceblobstore/paths/azureml/&lt;job&gt;/score/{settings.outputFileName}</p>
        )}
        {outputTaken ? (
          <ErrorBar error={error} title="The output location already exists (409 OutputAlreadyExists): choose a new output path" />
        ) : (
          <ErrorBar error={error} />
        )}
        <div className={styles.row}>
          <Button onClick={() => navigate(`/endpoints/${enc(endpoint)}`)}>Cancel</Button>
          <Button appearance="primary" onClick={() => void submit()} disabled={busy}>
            Create job
          </Button>
        </div>
      </div>
    </Section>
  );
}

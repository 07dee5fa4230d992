import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import {
  Button, Checkbox, Dropdown, Field, Input, Option, Radio, RadioGroup, Select, Subtitle2, makeStyles, tokens,
} from '@fluentui/react-components';
import { ApiFailure, enc, type ArmResource } from '../api';
import { ErrorBar, PageHeader, Section, useLoad, useSession } from '../common';
import { navigate } from '../router';
import { fieldProblem, settingProblems, type SettingName } from '../settings';

/** Azure ML's batch deployment defaults, shown as the fields' starting values. */
export const DEFAULTS = {
  miniBatchSize: '10',
  instanceCount: '1',
  maxConcurrencyPerInstance: '1',
  errorThreshold: '-1',
  maxRetries: '3',
  timeoutSeconds: '30',
  outputAction: 'AppendRow',
  outputFileName: 'predictions.csv',
  loggingLevel: 'Info',
};

const STEPS = ['Endpoint', 'Model', 'Scoring', 'Deployment', 'Review'] as const;

const useStyles = makeStyles({
  steps: { display: 'flex', gap: tokens.spacingHorizontalL, listStyleType: 'none', padding: 0, margin: 0, flexWrap: 'wrap' },
  current: { fontWeight: tokens.fontWeightSemibold, color: tokens.colorBrandForeground1, textDecoration: 'underline' },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '560px' },
  grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: tokens.spacingVerticalM + ' ' + tokens.spacingHorizontalL, maxWidth: '720px', alignItems: 'start' },
  buttons: { display: 'flex', gap: tokens.spacingHorizontalM },
  review: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
});

interface Form {
  endpoint: string;
  endpointDescription: string;
  model: string;
  modelVersion: string;
  scoring: 'nocode' | 'script';
  codeId: string;
  scoringScript: string;
  deployment: string;
  description: string;
  makeDefault: boolean;
  settings: typeof DEFAULTS;
}

/** The deployment body the API takes (Azure ML's REST shape) from the wizard's fields. */
export function deploymentBody(form: Form): unknown {
  const s = form.settings;
  return {
    properties: {
      ...(form.description ? { description: form.description } : {}),
      model: `azureml:${form.model}:${form.modelVersion}`,
      ...(form.scoring === 'script' ? { codeConfiguration: { codeId: form.codeId, scoringScript: form.scoringScript } } : {}),
      miniBatchSize: Number(s.miniBatchSize),
      resources: { instanceCount: Number(s.instanceCount) },
      maxConcurrencyPerInstance: Number(s.maxConcurrencyPerInstance),
      errorThreshold: Number(s.errorThreshold),
      retrySettings: { maxRetries: Number(s.maxRetries), timeout: `PT${Number(s.timeoutSeconds)}S` },
      outputAction: s.outputAction,
      outputFileName: s.outputFileName,
      loggingLevel: s.loggingLevel,
    },
  };
}

/**
 * Create an endpoint with its first deployment (from the Endpoints page or a model's page), or
 * add a deployment to an endpoint: the steps of Azure ML studio's wizard.
 */
export function DeployWizard({ endpoint, model }: { endpoint?: string; model?: string }) {
  const { api } = useSession();
  const styles = useStyles();
  const [step, setStep] = useState(endpoint ? 1 : 0);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState<Form>({
    endpoint: endpoint ?? '',
    endpointDescription: '',
    model: model ?? '',
    modelVersion: '',
    scoring: 'nocode',
    codeId: '',
    scoringScript: 'score.js',
    deployment: '',
    description: '',
    makeDefault: !endpoint,
    settings: { ...DEFAULTS },
  });
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  // On Next and Back, focus moves to the new step's heading (screen readers announce the step; Tab goes on to its first field).
  // Before paint, so it can never take focus from a field the user has already clicked on the new step.
  const firstStep = useRef(step);
  useLayoutEffect(() => {
    if (step !== firstStep.current) document.getElementById('wizard-step')?.focus();
    firstStep.current = -1;
  }, [step]);
  const setting = (name: keyof typeof DEFAULTS) => ({
    value: form.settings[name],
    onChange: (_: unknown, d: { value: string }) => setForm((f) => ({ ...f, settings: { ...f.settings, [name]: d.value } })),
  });

  const problems = settingProblems(form.settings);
  const check = (name: SettingName) => fieldProblem(problems[name]);

  const models = useLoad(() => api.list('models'), [api]);
  const versions = useLoad(async () => (form.model ? api.list(`models/${enc(form.model)}/versions`) : []), [api, form.model]);
  const chosen: ArmResource | undefined = versions.data?.find((v) => v.name === form.modelVersion) ?? undefined;
  const isMlflow = chosen?.properties.modelType === 'mlflow_model';
  if (versions.data?.length && !versions.data.some((v) => v.name === form.modelVersion)) set({ modelVersion: versions.data[0]!.name });

  const problem = (): string | undefined => {
    if (step === 0 && !/^[A-Za-z][A-Za-z0-9-]{2,31}$/.test(form.endpoint)) return 'Endpoint name: 3 to 32 letters, digits and "-", starting with a letter.';
    if (step === 1 && (!form.model || !form.modelVersion)) return 'Pick a model and a version.';
    if (step === 2 && (form.scoring === 'script' || !isMlflow) && (!form.codeId || !form.scoringScript)) return 'A scoring script needs a code asset and the script path.';
    if (step === 3 && !/^[A-Za-z][A-Za-z0-9-]{2,31}$/.test(form.deployment)) return 'Deployment name: 3 to 32 letters, digits and "-", starting with a letter.';
    if (step === 3 && Object.keys(problems).length) return 'Correct the settings marked above.';
    return undefined;
  };
  /** The wizard creates: an endpoint or deployment that exists already would be replaced by the PUT. */
  const taken = async (): Promise<string | undefined> => {
    const exists = (path: string) => api.get(path).then(() => true, (err) => (err instanceof ApiFailure && err.status === 404 ? false : Promise.reject(err)));
    if (step === 0 && (await exists(`batchEndpoints/${enc(form.endpoint)}`))) {
      return `An endpoint named ${form.endpoint} exists already: open it and use Add deployment, or pick another name.`;
    }
    if (step === 3 && (await exists(`batchEndpoints/${enc(form.endpoint)}/deployments/${enc(form.deployment)}`))) {
      return `Endpoint ${form.endpoint} has a deployment named ${form.deployment} already: pick another name.`;
    }
    return undefined;
  };
  const next = async () => {
    const p = problem();
    if (p) return setError(new Error(p));
    try {
      const t = await taken();
      if (t) return setError(new Error(t));
    } catch (err) {
      return setError(err);
    }
    setError(undefined);
    if (step === 2 && !isMlflow) set({ scoring: 'script' });
    setStep(step + 1);
  };

  const create = async () => {
    setBusy(true);
    setError(undefined);
    let created = false;
    try {
      if (!endpoint) {
        await api.json('PUT', `batchEndpoints/${enc(form.endpoint)}`, {
          properties: form.endpointDescription ? { description: form.endpointDescription } : {},
        });
        created = true;
      }
      try {
        await api.json('PUT', `batchEndpoints/${enc(form.endpoint)}/deployments/${enc(form.deployment)}`, deploymentBody(form));
      } catch (err) {
        // All or nothing: an endpoint left without its deployment made Back and Next refuse its own name.
        if (created) await api.json('DELETE', `batchEndpoints/${enc(form.endpoint)}`).catch(() => undefined);
        throw err;
      }
      if (form.makeDefault) {
        await api.json('PATCH', `batchEndpoints/${enc(form.endpoint)}`, { properties: { defaults: { deploymentName: form.deployment } } });
      }
      navigate(`/endpoints/${enc(form.endpoint)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const review: [string, ReactNode][] = [
    ['Endpoint', `${form.endpoint}${endpoint ? '' : ' (new)'}`],
    ['Model', `${form.model}:${form.modelVersion}`],
    ['Scoring', form.scoring === 'script' ? `script ${form.scoringScript} from ${form.codeId}` : 'no code (MLflow / ONNX)'],
    ['Deployment', `${form.deployment}${form.makeDefault ? ' (default)' : ''}`],
    ['Mini-batch size', form.settings.miniBatchSize],
    ['Instance count', form.settings.instanceCount],
    ['Max concurrency per instance', form.settings.maxConcurrencyPerInstance],
    ['Error threshold', form.settings.errorThreshold],
    ['Retries / timeout', `${form.settings.maxRetries} / ${form.settings.timeoutSeconds} s`],
    ['Output', `${form.settings.outputAction}, ${form.settings.outputFileName}`],
    ['Logging level', form.settings.loggingLevel],
  ];

  return (
    <Section>
      <PageHeader title={endpoint ? `Add deployment to ${endpoint}` : 'Create batch endpoint'} />
      <ol className={styles.steps} aria-label="Steps">
        {STEPS.map((name, i) => (
          <li key={name} className={i === step ? styles.current : undefined} aria-current={i === step ? 'step' : undefined}>
            {i + 1}. {name}
          </li>
        ))}
      </ol>
      <Subtitle2 as="h2" id="wizard-step" tabIndex={-1}>
        {STEPS[step]}
      </Subtitle2>
      {step === 0 ? (
        <div className={styles.form}>
          <Field label="Endpoint name" required hint="Unique; it becomes part of the scoring URI.">
            <Input value={form.endpoint} onChange={(_, d) => set({ endpoint: d.value })} />
          </Field>
          <Field label="Description">
            <Input value={form.endpointDescription} onChange={(_, d) => set({ endpointDescription: d.value })} />
          </Field>
        </div>
      ) : null}
      {step === 1 ? (
        <div className={styles.form}>
          <ErrorBar error={models.error} title="Models could not be listed" />
          <Field label="Model" required>
            <Dropdown
              placeholder={models.data || models.error ? 'Select a registered model' : 'Listing the registered models...'}
              // Closed and disabled until the list is in: an empty list opened early showed nothing, even once the models came.
              disabled={!models.data}
              value={form.model}
              selectedOptions={form.model ? [form.model] : []}
              onOptionSelect={(_, d) => set({ model: d.optionValue ?? '', modelVersion: '' })}
            >
              {(models.data ?? []).map((m) => (
                <Option key={m.name} value={m.name}>
                  {m.name}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field label="Version" required>
            <Select value={form.modelVersion} onChange={(_, d) => set({ modelVersion: d.value })} disabled={!versions.data?.length}>
              {(versions.data ?? []).map((v) => (
                <option key={v.name} value={v.name}>
                  {v.name} ({v.properties.modelType})
                </option>
              ))}
            </Select>
          </Field>
        </div>
      ) : null}
      {step === 2 ? (
        <div className={styles.form}>
          {isMlflow ? (
            <Field label="How is the model scored?">
              <RadioGroup value={form.scoring} onChange={(_, d) => set({ scoring: d.value as Form['scoring'] })}>
                <Radio value="nocode" label="No code: the built-in scorer for MLflow (ONNX flavor) and ONNX models" />
                <Radio value="script" label="Scoring script" />
              </RadioGroup>
            </Field>
          ) : (
            <p>This is a custom model: it needs a scoring script.</p>
          )}
          {form.scoring === 'script' || !isMlflow ? (
            <>
              <Field label="Code asset" required hint="azureml:<name>:<version> or azureml:<name>@latest">
                <Input value={form.codeId} onChange={(_, d) => set({ codeId: d.value })} />
              </Field>
              <Field label="Scoring script" required hint="Path of the Node module inside the code folder">
                <Input value={form.scoringScript} onChange={(_, d) => set({ scoringScript: d.value })} />
              </Field>
            </>
          ) : null}
        </div>
      ) : null}
      {step === 3 ? (
        <div className={styles.grid}>
          <Field label="Deployment name" required>
            <Input value={form.deployment} onChange={(_, d) => set({ deployment: d.value })} />
          </Field>
          <Field label="Description">
            <Input value={form.description} onChange={(_, d) => set({ description: d.value })} />
          </Field>
          <Field label="Mini-batch size" hint="Files per mini-batch (default 10)" {...check('miniBatchSize')}>
            <Input type="number" min={1} {...setting('miniBatchSize')} />
          </Field>
          <Field label="Instance count" hint="Default 1" {...check('instanceCount')}>
            <Input type="number" min={1} {...setting('instanceCount')} />
          </Field>
          <Field label="Max concurrency per instance" hint="Default 1" {...check('maxConcurrencyPerInstance')}>
            <Input type="number" min={1} {...setting('maxConcurrencyPerInstance')} />
          </Field>
          <Field label="Error threshold" hint="Failed items allowed; -1 = any number (default)" {...check('errorThreshold')}>
            <Input type="number" min={-1} {...setting('errorThreshold')} />
          </Field>
          <Field label="Max retries" hint="Default 3" {...check('maxRetries')}>
            <Input type="number" min={0} {...setting('maxRetries')} />
          </Field>
          <Field label="Timeout (seconds)" hint="Per mini-batch, default 30" {...check('timeoutSeconds')}>
            <Input type="number" min={1} {...setting('timeoutSeconds')} />
          </Field>
          <Field label="Output action">
            <Select {...setting('outputAction')}>
              <option value="AppendRow">Append row</option>
              <option value="SummaryOnly">Summary only</option>
            </Select>
          </Field>
          <Field label="Output file name" hint="Default predictions.csv" {...check('outputFileName')}>
            <Input {...setting('outputFileName')} />
          </Field>
          <Field label="Logging level">
            <Select {...setting('loggingLevel')}>
              <option>Warning</option>
              <option>Info</option>
              <option>Debug</option>
            </Select>
          </Field>
          <Checkbox checked={form.makeDefault} onChange={(_, d) => set({ makeDefault: !!d.checked })} label="Make this the endpoint's default deployment" />
        </div>
      ) : null}
      {step === 4 ? (
        <dl className={styles.review} aria-label="Review">
          {review.map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt>{k}</dt>
              <dd style={{ margin: 0 }}>{v}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <ErrorBar error={error} />
      <div className={styles.buttons}>
        <Button onClick={() => navigate(endpoint ? `/endpoints/${enc(endpoint)}` : '/endpoints')}>Cancel</Button>
        {step > (endpoint ? 1 : 0) ? <Button onClick={() => setStep(step - 1)}>Back</Button> : null}
        {step < STEPS.length - 1 ? (
          <Button appearance="primary" onClick={() => void next()}>
            Next
          </Button>
        ) : (
          <Button appearance="primary" onClick={() => void create()} disabled={busy}>
            Create
          </Button>
        )}
      </div>
    </Section>
  );
}

import { Button } from '@fluentui/react-components';
import { enc, type ArmResource } from '../api';
import { can } from '../auth';
import { ListPage, formatTime, useLoad, useSession } from '../common';
import { Link, navigate } from '../router';

export function ModelsPage() {
  const { api } = useSession();
  const models = useLoad(() => api.list('models'), [api]);
  return (
    <ListPage<ArmResource>
      title="Models"
      load={models}
      empty="No models registered."
      label="Models"
      rowKey={(m) => m.name}
      columns={[
        ['Name', (m) => <Link to={`/models/${enc(m.name)}`}>{m.name}</Link>],
        ['Latest version', (m) => m.properties.latestVersion],
        ['Description', (m) => m.properties.description],
        ['Registered', (m) => formatTime(m.systemData?.lastModifiedAt)],
      ]}
    />
  );
}

export function ModelPage({ model }: { model: string }) {
  const { api, session } = useSession();
  const versions = useLoad(() => api.list(`models/${enc(model)}/versions`), [api, model]);
  return (
    <ListPage<ArmResource>
      title={`Model ${model}`}
      actions={
        // Versions are never deleted: none means no such model (a mistyped or old link), nothing to deploy.
        can(session, 'Manage') && versions.data?.length ? (
          <Button appearance="primary" onClick={() => navigate(`/models/${enc(model)}/deploy`)}>
            Deploy to batch endpoint
          </Button>
        ) : null
      }
      load={versions}
      empty={`No model named ${model} is registered.`}
      label="Model versions"
      rowKey={(v) => v.name}
      columns={[
        ['Version', (v) => v.name],
        ['Type', (v) => v.properties.modelType],
        ['Model URI', (v) => v.properties.modelUri],
        ['Description', (v) => v.properties.description],
        ['Registered', (v) => formatTime(v.systemData?.createdAt)],
      ]}
    />
  );
}

// The API's Entra app registration: App ID URI, the three app roles the app checks
// (lib/auth), its service principal, and the Manage role for the deploying principal.
// Declared with the Microsoft Graph Bicep extension (Graph v1.0 types); the deploying
// identity needs permission to create app registrations (Application Developer or the
// "users can register applications" tenant default).
extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'

@description('Unique name of the app registration in the tenant (stable across deployments).')
param uniqueName string

@description('Display name of the app registration.')
param displayName string

@description('Object id of the deploying user or service principal; it gets BatchEndpoints.Manage. Empty to grant nothing.')
param deployerPrincipalId string = ''

// api://<tenant id>/<name> satisfies the tenant's identifier URI policy without a verified
// domain and without the app id, which is not known until the app exists.
var identifierUri = 'api://${tenant().tenantId}/${uniqueName}'

var roleValues = ['BatchEndpoints.Read', 'BatchEndpoints.Invoke', 'BatchEndpoints.Manage']
var roleDescriptions = {
  'BatchEndpoints.Read': 'Read endpoints, deployments, models, code, data, datastores and jobs.'
  'BatchEndpoints.Invoke': 'Read, plus create (invoke) and cancel jobs.'
  'BatchEndpoints.Manage': 'Everything, including creating, changing and deleting resources.'
}

// Azure CLI's well-known client id: pre-authorized so `az account get-access-token --resource
// <App ID URI>` works without a consent prompt. Only the roles claim grants access (lib/auth).
var azureCliClientId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
var userImpersonationScopeId = guid(uniqueName, 'user_impersonation')

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: [identifierUri]
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: userImpersonationScopeId
        value: 'user_impersonation'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Access ${displayName}'
        adminConsentDescription: 'Lets a client call ${displayName} as the signed-in user; what the user may do comes from app roles.'
        userConsentDisplayName: 'Access ${displayName}'
        userConsentDescription: 'Lets the app call ${displayName} as you.'
      }
    ]
    preAuthorizedApplications: [
      {
        appId: azureCliClientId
        delegatedPermissionIds: [userImpersonationScopeId]
      }
    ]
  }
  appRoles: [for value in roleValues: {
    id: guid(uniqueName, value)
    value: value
    displayName: value
    description: roleDescriptions[value]
    allowedMemberTypes: ['User', 'Application']
    isEnabled: true
  }]
}

// Only principals given an app role get a token for the API at all.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  appRoleAssignmentRequired: true
}

resource deployerManage 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (!empty(deployerPrincipalId)) {
  appRoleId: guid(uniqueName, 'BatchEndpoints.Manage')
  principalId: deployerPrincipalId
  resourceId: servicePrincipal.id
}

output appId string = application.appId
output identifierUri string = identifierUri
output servicePrincipalId string = servicePrincipal.id
output issuers string = 'https://login.microsoftonline.com/${tenant().tenantId}/v2.0,https://sts.windows.net/${tenant().tenantId}/'
output audiences string = '${application.appId},${identifierUri}'

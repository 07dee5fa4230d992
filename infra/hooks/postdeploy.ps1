# azd postdeploy hook (Windows): same as postdeploy.sh. Subscribes the blob-drop function to
# BlobCreated events in the inbox once the host's blobs_extension key exists; the key is read by
# the Bicep file with listKeys and never printed.
$ErrorActionPreference = 'Stop'

$functionName = if ($env:BLOB_DROP_FUNCTION_NAME) { $env:BLOB_DROP_FUNCTION_NAME } else { 'blobDrop' }

$hasKey = az functionapp keys list `
  --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
  --query "systemKeys.blobs_extension != null" --output tsv

if ($hasKey -ne 'true') {
  Write-Host "postdeploy: no blobs_extension key on $($env:AZURE_FUNCTION_APP_NAME) yet (is the '$functionName' function deployed?);"
  Write-Host "postdeploy: skipping the blob-drop Event Grid subscription. Run 'azd deploy' again once it is."
  exit 0
}

az deployment group create `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --name blob-drop-subscription `
  --template-file (Join-Path $PSScriptRoot '../app/blob-drop-subscription.bicep') `
  --parameters functionAppName=$env:AZURE_FUNCTION_APP_NAME `
               systemTopicName=$env:BLOB_DROP_SYSTEM_TOPIC_NAME `
               functionName=$functionName `
               inboxContainer=$env:BLOB_DROP_INBOX_CONTAINER `
  --output none
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host "postdeploy: BlobCreated events in '$($env:BLOB_DROP_INBOX_CONTAINER)' now reach $functionName."

#!/bin/sh
# azd postdeploy hook: subscribes the blob-drop function to BlobCreated events in the inbox.
# The webhook needs the host's blobs_extension system key, which exists only after a function
# with an Event Grid blob trigger is deployed; so this runs after deploy, not in provision.
# The key is never printed or passed on the command line: the Bicep file reads it with listKeys.
set -eu

function_name="${BLOB_DROP_FUNCTION_NAME:-blobDrop}"

has_key=$(az functionapp keys list \
  --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query "systemKeys.blobs_extension != null" --output tsv)

if [ "$has_key" != "true" ]; then
  echo "postdeploy: no blobs_extension key on $AZURE_FUNCTION_APP_NAME yet (is the '$function_name' function deployed?);"
  echo "postdeploy: skipping the blob-drop Event Grid subscription. Run 'azd deploy' again once it is."
  exit 0
fi

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "blob-drop-subscription" \
  --template-file "$(dirname "$0")/../app/blob-drop-subscription.bicep" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" \
               systemTopicName="$BLOB_DROP_SYSTEM_TOPIC_NAME" \
               functionName="$function_name" \
               inboxContainer="$BLOB_DROP_INBOX_CONTAINER" \
  --output none
echo "postdeploy: BlobCreated events in '$BLOB_DROP_INBOX_CONTAINER' now reach $function_name."

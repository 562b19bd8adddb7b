using Temporalio.Api.Enums.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>Registers custom search attributes a test sets (the server rejects unregistered ones, as Temporal does).</summary>
internal static class SearchAttributeRegistration
{
    public static async Task EnsureAsync(ITemporalClient client, string name, IndexedValueType type)
    {
        var existing = await client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = client.Options.Namespace });
        if (!existing.CustomAttributes.ContainsKey(name))
        {
            await client.Connection.OperatorService.AddSearchAttributesAsync(new AddSearchAttributesRequest
            {
                Namespace = client.Options.Namespace,
                SearchAttributes = { [name] = type },
            });
        }
    }
}

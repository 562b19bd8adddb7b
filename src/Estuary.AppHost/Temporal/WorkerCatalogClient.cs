using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Commands;

namespace Aspire.Hosting;

/// <summary>Reads a running worker's <see cref="WorkflowCatalog"/> and has it bind arguments, over the worker's HTTP endpoint.</summary>
/// <param name="endpoint">The worker's HTTP endpoint.</param>
internal sealed class WorkerCatalogClient(EndpointReference endpoint)
{
    // Local calls to a worker that answers in milliseconds; the timeout only bounds a worker that hangs.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Gets the worker's catalog.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="InvalidOperationException">The worker does not answer, or not with a catalog.</exception>
    public async Task<WorkflowCatalog> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Http.GetFromJsonAsync<WorkflowCatalog>(Uri(WorkflowCatalog.Path), WorkflowCatalog.JsonOptions, cancellationToken)
                ?? throw new InvalidOperationException($"Worker '{endpoint.Resource.Name}' answered {WorkflowCatalog.Path} with no catalog.");
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Worker '{endpoint.Resource.Name}' did not serve its workflows at {WorkflowCatalog.Path}: {e.Message}", e);
        }
    }

    /// <summary>Has the worker check and convert arguments (nothing is sent to Temporal).</summary>
    /// <param name="request">The workflow or handler and the arguments as typed.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The JSON arguments or the errors.</returns>
    /// <exception cref="InvalidOperationException">The worker does not answer, or not with a bind response.</exception>
    public async Task<BindResponse> BindAsync(BindRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.PostAsJsonAsync(Uri(WorkflowCatalog.BindPath), request, WorkflowCatalog.JsonOptions, cancellationToken);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity))
            {
                throw new InvalidOperationException(
                    $"Worker '{endpoint.Resource.Name}' answered {WorkflowCatalog.BindPath} with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            return await response.Content.ReadFromJsonAsync<BindResponse>(WorkflowCatalog.JsonOptions, cancellationToken)
                ?? throw new InvalidOperationException($"Worker '{endpoint.Resource.Name}' answered {WorkflowCatalog.BindPath} with nothing.");
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Worker '{endpoint.Resource.Name}' did not bind the arguments at {WorkflowCatalog.BindPath}: {e.Message}", e);
        }
    }

    private Uri Uri(string path) => new(new Uri(endpoint.Url), path);
}

using Estuary.Temporal.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves a worker's <see cref="WorkflowCatalog"/>, so the AppHost's dashboard commands know its workflows without its types.</summary>
public static class WorkflowCatalogEndpoints
{
    /// <summary>
    /// Maps <see cref="WorkflowCatalog.Path"/> (GET: the catalog as JSON) and <see cref="WorkflowCatalog.BindPath"/> (POST a
    /// <see cref="BindRequest"/>: the arguments checked by the command line's binder and converted to Temporal's JSON, or
    /// 422 with one error per argument). Neither changes anything nor talks to Temporal. Does nothing in a process that
    /// is not an Estuary worker (no <c>AddEstuaryWorker</c>).
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <returns>The same endpoints.</returns>
    public static IEndpointRouteBuilder MapWorkflowCatalog(this IEndpointRouteBuilder endpoints)
    {
        var catalog = endpoints.ServiceProvider.GetService<WorkflowCatalog>();
        var binder = endpoints.ServiceProvider.GetService<WorkflowCatalogBinder>();
        if (catalog is null || binder is null)
        {
            return endpoints;
        }

        endpoints.MapGet(WorkflowCatalog.Path, () => Results.Json(catalog, WorkflowCatalog.JsonOptions));
        endpoints.MapPost(WorkflowCatalog.BindPath, async (HttpRequest request) =>
        {
            BindRequest? bind;
            try
            {
                bind = await request.ReadFromJsonAsync<BindRequest>(WorkflowCatalog.JsonOptions, request.HttpContext.RequestAborted);
            }
            catch (System.Text.Json.JsonException e)
            {
                return Results.BadRequest(e.Message);
            }

            if (bind is null)
            {
                return Results.BadRequest("A bind request is required.");
            }

            var response = binder.Bind(bind);
            return Results.Json(response, WorkflowCatalog.JsonOptions, statusCode: response.Errors.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity);
        });
        return endpoints;
    }
}

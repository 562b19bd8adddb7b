using Estuary.DevServer.Ui.Rendering;
using Google.Protobuf;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Tests;

public sealed class RenderingTests
{
    [Theory]
    [InlineData("", null, "ExecutionStatus = 'Running'")]
    [InlineData("WorkflowType = 'A'", null, "WorkflowType = 'A' AND ExecutionStatus = 'Running'")]
    [InlineData("WorkflowType = 'A' AND ExecutionStatus = 'Failed'", "Failed", "WorkflowType = 'A' AND ExecutionStatus = 'Running'")]
    [InlineData("ExecutionStatus = \"Completed\"", "Completed", "ExecutionStatus = 'Running'")]
    [InlineData("WorkflowType = 'A' OR WorkflowType = 'B'", null, "(WorkflowType = 'A' OR WorkflowType = 'B') AND ExecutionStatus = 'Running'")]
    [InlineData("(WorkflowType = 'A' OR WorkflowType = 'B') AND ExecutionStatus = 'Failed'", "Failed", "(WorkflowType = 'A' OR WorkflowType = 'B') AND ExecutionStatus = 'Running'")]
    [InlineData("WorkflowType = 'A' ORDER BY StartTime ASC", null, "WorkflowType = 'A' AND ExecutionStatus = 'Running' ORDER BY StartTime ASC")]
    public void ListFilter_QuickFilterRunning_ReplacesTheStatusConditionOnly(string query, string? status, string expected)
    {
        var filter = ListFilter.Parse(query);

        Assert.Equal(status, filter.Status);
        Assert.Equal(expected, filter.WithStatus("Running"));
    }

    [Fact]
    public void ListFilter_AllStatuses_DropsTheStatusCondition()
    {
        Assert.Equal("WorkflowType = 'A'", ListFilter.Parse("WorkflowType = 'A' AND ExecutionStatus = 'Failed'").WithStatus(null));
    }

    [Fact]
    public void JsonArguments_SeveralValues_OnePayloadEach()
    {
        var payloads = JsonArguments.Parse("\"Ada\" 3\n{\"id\": 1}", "Input", out var error);

        Assert.Null(error);
        Assert.Equal(["\"Ada\"", "3", "{\"id\": 1}"], payloads!.Payloads_.Select(p => p.Data.ToStringUtf8()));
        Assert.All(payloads.Payloads_, p => Assert.Equal("json/plain", p.Metadata["encoding"].ToStringUtf8()));
    }

    [Theory]
    [InlineData("Ada", "line 1, position 1")]
    [InlineData("{\"id\": 1", "line 1, position 9")]
    [InlineData("1\n[2,", "reached end of data (line 2")]
    public void JsonArguments_InvalidJson_NamesTheProblemAndWhere(string text, string where)
    {
        var payloads = JsonArguments.Parse(text, "Input", out var error);

        Assert.Null(payloads);
        Assert.StartsWith("Input is not valid JSON: ", error, StringComparison.Ordinal);
        Assert.Contains(where, error, StringComparison.Ordinal);
    }

    [Fact]
    public void PayloadRenderer_EncryptedPayload_ShownAsEncodingAndBase64()
    {
        var payload = new Payload { Data = ByteString.CopyFrom(1, 2, 3) };
        payload.Metadata["encoding"] = ByteString.CopyFromUtf8("binary/encrypted");

        Assert.Equal("[encrypted (binary/encrypted), 3 bytes]\nAQID", PayloadRenderer.ToText(payload));
        Assert.Null(PayloadRenderer.ToInputText(new Payloads { Payloads_ = { payload } }));
        Assert.Equal("{\"encoding\":\"binary/encrypted\",\"data\":\"AQID\"}", PayloadRenderer.ToJson(payload)!.ToJsonString());
    }

    [Fact]
    public void PayloadRenderer_JsonPayload_ShownIndented()
    {
        var payload = new Payload { Data = ByteString.CopyFromUtf8("{\"a\":[1,2]}") };
        payload.Metadata["encoding"] = ByteString.CopyFromUtf8("json/plain");

        Assert.Equal("{\n  \"a\": [\n    1,\n    2\n  ]\n}", PayloadRenderer.ToText(payload).ReplaceLineEndings("\n"));
        Assert.Equal("{\"a\":[1,2]}", PayloadRenderer.Preview(payload));
    }

    [Fact]
    public void HistoryRows_ValuesWithMarkup_AreWrittenAsText()
    {
        var input = new Payload { Data = ByteString.CopyFromUtf8("\"<script>alert('x')</script> & more\"") };
        input.Metadata["encoding"] = ByteString.CopyFromUtf8("json/plain");
        var signaled = new Temporalio.Api.History.V1.HistoryEvent
        {
            EventId = 7,
            EventType = Temporalio.Api.Enums.V1.EventType.WorkflowExecutionSignaled,
            WorkflowExecutionSignaledEventAttributes = new() { SignalName = "<b>name</b>", Input = new Payloads { Payloads_ = { input } } },
        };

        var html = HistoryRows.Html([signaled], 0, 1);

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;name&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("\"&lt;script&gt;alert('x')&lt;/script&gt; &amp; more\"", html, StringComparison.Ordinal);
    }
}

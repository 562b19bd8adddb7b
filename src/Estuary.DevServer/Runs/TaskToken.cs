using Estuary.DevServer.Grpc;
using Google.Protobuf;

namespace Estuary.DevServer.Runs;

/// <summary>
/// The opaque token a worker gets with a task and sends back with its answer: which run, which task
/// (scheduled event id), which attempt and, for workflow tasks, which start of it (request id), so late answers
/// to a superseded attempt, or to a dropped speculative task whose scheduled id went to the next one, are recognised.
/// </summary>
internal readonly record struct TaskToken(string Namespace, string WorkflowId, string RunId, long ScheduledEventId, int Attempt, string RequestId = "")
{
    private const byte Version = 2;

    public ByteString ToByteString()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Version);
            writer.Write(Namespace);
            writer.Write(WorkflowId);
            writer.Write(RunId);
            writer.Write(ScheduledEventId);
            writer.Write(Attempt);
            writer.Write(RequestId);
        }
        return ByteString.CopyFrom(stream.ToArray());
    }

    public static TaskToken Parse(ByteString token)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(token.ToByteArray()));
            if (reader.ReadByte() != Version)
            {
                throw RpcErrors.InvalidArgument("Error deserializing task token: unknown version.");
            }
            return new TaskToken(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadString());
        }
        catch (EndOfStreamException)
        {
            throw RpcErrors.InvalidArgument("Error deserializing task token.");
        }
        catch (IOException)
        {
            throw RpcErrors.InvalidArgument("Error deserializing task token.");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Estuary.Worker.Example.Data.Migrations
{
    /// <inheritdoc />
    public partial class SeedEntities : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.InsertData(
                table: "example_entities",
                columns: new[] { "id", "created_at", "name", "status" },
                values: new object[,]
                {
                    { 1, new DateTimeOffset(new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Example entity 1", "new" },
                    { 2, new DateTimeOffset(new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Example entity 2", "new" },
                    { 3, new DateTimeOffset(new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Example entity 3", "new" }
                });

            // Rows inserted with explicit ids do not advance the identity: entities created later start after the seeded ones.
            migrationBuilder.Sql("SELECT setval(pg_get_serial_sequence('example_entities', 'id'), (SELECT max(id) FROM example_entities));");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DeleteData(
                table: "example_entities",
                keyColumn: "id",
                keyValue: 1);

            migrationBuilder.DeleteData(
                table: "example_entities",
                keyColumn: "id",
                keyValue: 2);

            migrationBuilder.DeleteData(
                table: "example_entities",
                keyColumn: "id",
                keyValue: 3);
        }
    }
}

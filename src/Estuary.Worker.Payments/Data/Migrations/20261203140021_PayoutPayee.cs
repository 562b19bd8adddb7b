using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Estuary.Worker.Payments.Data.Migrations
{
    /// <inheritdoc />
    public partial class PayoutPayee : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "payee",
                table: "payments",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_payments_recorded_at",
                table: "payments",
                column: "recorded_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_payments_recorded_at",
                table: "payments");

            migrationBuilder.DropColumn(
                name: "payee",
                table: "payments");
        }
    }
}

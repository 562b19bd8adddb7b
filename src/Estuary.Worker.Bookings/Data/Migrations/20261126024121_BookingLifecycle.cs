using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Estuary.Worker.Bookings.Data.Migrations
{
    /// <inheritdoc />
    public partial class BookingLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Requests taken before this migration named the client by e-mail address.
            migrationBuilder.RenameColumn(
                name: "customer_email",
                table: "bookings",
                newName: "client");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:btree_gist", ",,");

            migrationBuilder.AlterColumn<string>(
                name: "status",
                table: "bookings",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(50)",
                oldMaxLength: 50);

            migrationBuilder.AddColumn<string>(
                name: "cancellation_reason",
                table: "bookings",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "capture_id",
                table: "bookings",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "currency",
                table: "bookings",
                type: "character(3)",
                fixedLength: true,
                maxLength: 3,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ends_at",
                table: "bookings",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<string>(
                name: "practitioner",
                table: "bookings",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "price_minor",
                table: "bookings",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "refund_id",
                table: "bookings",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "reviewed_at",
                table: "bookings",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "service",
                table: "bookings",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            // Requests taken before this migration have no practitioner, end or payment: they can never be confirmed,
            // so they are closed rather than left holding an empty practitioner's slot.
            migrationBuilder.Sql("""
                UPDATE bookings
                SET status = 'Cancelled',
                    ends_at = starts_at + interval '1 hour',
                    cancellation_reason = 'Requested before bookings had a practitioner and a payment'
                WHERE practitioner = '';
                """);

            migrationBuilder.CreateTable(
                name: "booking_reminders",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    booking_id = table.Column<int>(type: "integer", nullable: false),
                    session_starts_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recipient = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_booking_reminders", x => x.id);
                    table.ForeignKey(
                        name: "FK_booking_reminders_bookings_booking_id",
                        column: x => x.booking_id,
                        principalTable: "bookings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_bookings_practitioner_starts_at",
                table: "bookings",
                columns: new[] { "practitioner", "starts_at" });

            migrationBuilder.AddCheckConstraint(
                name: "ck_bookings_ends_after_start",
                table: "bookings",
                sql: "ends_at > starts_at");

            migrationBuilder.CreateIndex(
                name: "IX_booking_reminders_booking_id_session_starts_at",
                table: "booking_reminders",
                columns: new[] { "booking_id", "session_starts_at" },
                unique: true);

            // No two active bookings of one practitioner may overlap; EF Core cannot model an exclusion constraint.
            migrationBuilder.Sql($"""
                ALTER TABLE bookings ADD CONSTRAINT {BookingsDbContext.PractitionerSlotConstraint}
                EXCLUDE USING gist (practitioner WITH =, tstzrange(starts_at, ends_at) WITH &&)
                WHERE (status IN ('Requested', 'Confirmed'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"ALTER TABLE bookings DROP CONSTRAINT {BookingsDbContext.PractitionerSlotConstraint};");

            migrationBuilder.DropTable(
                name: "booking_reminders");

            migrationBuilder.DropIndex(
                name: "IX_bookings_practitioner_starts_at",
                table: "bookings");

            migrationBuilder.DropCheckConstraint(
                name: "ck_bookings_ends_after_start",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "cancellation_reason",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "capture_id",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "currency",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "ends_at",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "practitioner",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "price_minor",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "refund_id",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "reviewed_at",
                table: "bookings");

            migrationBuilder.DropColumn(
                name: "service",
                table: "bookings");

            migrationBuilder.RenameColumn(
                name: "client",
                table: "bookings",
                newName: "customer_email");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:btree_gist", ",,");

            migrationBuilder.AlterColumn<string>(
                name: "status",
                table: "bookings",
                type: "character varying(50)",
                maxLength: 50,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20);
        }
    }
}

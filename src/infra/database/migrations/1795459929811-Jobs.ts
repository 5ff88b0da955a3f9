import { MigrationInterface, QueryRunner } from 'typeorm';

export class Jobs1795459929811 implements MigrationInterface {
  name = 'Jobs1795459929811';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "outbox" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "queue" character varying(64) NOT NULL,
                "job_name" character varying(64) NOT NULL,
                "payload" jsonb NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "sent_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "outbox_unsent_idx" ON "outbox" ("created_at")
            WHERE sent_at IS NULL
        `);
    await queryRunner.query(`
            CREATE TABLE "notifications" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "kind" character varying(40) NOT NULL,
                "user_id" uuid NOT NULL,
                "recipient" character varying(254) NOT NULL,
                "job_id" character varying(100) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "notifications_kind_user_id_key" ON "notifications" ("kind", "user_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "category_stats" (
                "category" character varying(60) NOT NULL,
                "product_count" integer NOT NULL,
                "total_stock" bigint NOT NULL,
                "min_price_cents" integer NOT NULL,
                "max_price_cents" integer NOT NULL,
                "avg_price_cents" integer NOT NULL,
                "computed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_9b2b60812d14100cbd179856423" PRIMARY KEY ("category")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "product_imports" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "status" character varying(16) NOT NULL DEFAULT 'queued',
                "file_name" character varying(255) NOT NULL,
                "size_bytes" bigint NOT NULL,
                "requested_by" uuid,
                "records_done" integer NOT NULL DEFAULT '0',
                "inserted" integer NOT NULL DEFAULT '0',
                "updated" integer NOT NULL DEFAULT '0',
                "unchanged" integer NOT NULL DEFAULT '0',
                "invalid" integer NOT NULL DEFAULT '0',
                "errors" jsonb NOT NULL DEFAULT '[]',
                "failure_reason" text,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "started_at" TIMESTAMP(3) WITH TIME ZONE,
                "finished_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_a02a4bd96cc40b9480f4ae9c4a0" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "product_imports_created_at_idx" ON "product_imports" ("created_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "products"
            ADD "sku" character varying(64)
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "products_sku_key" ON "products" ("sku")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."products_sku_key"
        `);
    await queryRunner.query(`
            ALTER TABLE "products" DROP COLUMN "sku"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."product_imports_created_at_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "product_imports"
        `);
    await queryRunner.query(`
            DROP TABLE "category_stats"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."notifications_kind_user_id_key"
        `);
    await queryRunner.query(`
            DROP TABLE "notifications"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."outbox_unsent_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "outbox"
        `);
  }
}

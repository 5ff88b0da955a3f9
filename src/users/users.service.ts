import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ReplicaRouter } from '../infra/database/replica-router.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { type Role, User } from './user.entity.js';

/** Who is acting, as the access-token guard found it. */
export interface Actor {
  id: string;
  role: Role;
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role?: Role;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly router: ReplicaRouter,
    private readonly hasher: PasswordHasher,
    @InjectDataSource() private readonly primary: DataSource,
  ) {}

  /**
   * Creates a user inside the caller's transaction when given one (so follow-up work can commit with it).
   * A duplicate e-mail fails on the unique index and becomes a 409.
   */
  async create(input: NewUser, manager?: EntityManager): Promise<User> {
    const passwordHash = await this.hasher.hash(input.password);
    const insert = (em: EntityManager) =>
      em.save(
        em.create(User, {
          email: normalizeEmail(input.email),
          name: input.name,
          passwordHash,
          role: input.role ?? 'user',
        }),
      );
    const user = manager ? await insert(manager) : await this.router.write(insert);
    return this.withoutHash(user);
  }

  async findById(id: string): Promise<User> {
    const user = await this.router.read((em) => em.findOneBy(User, { id }));
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return user;
  }

  /** For login: read from the primary, so an account registered a moment ago can sign in at once. */
  findByEmailWithHash(email: string): Promise<User | null> {
    return this.primary
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /** Role of a user as the primary has it now (refresh must not mint tokens for deleted users). */
  findOnPrimary(id: string): Promise<User | null> {
    return this.primary.getRepository(User).findOneBy({ id });
  }

  async update(id: string, changes: UpdateUserDto, actor: Actor): Promise<User> {
    this.assertSelfOrAdmin(id, actor);
    if (changes.role !== undefined && actor.role !== 'admin') {
      throw new ForbiddenException('Only an admin can change a role');
    }
    const values: Partial<User> = {};
    if (changes.name !== undefined) values.name = changes.name;
    if (changes.email !== undefined) values.email = normalizeEmail(changes.email);
    if (changes.role !== undefined) values.role = changes.role;
    if (changes.password !== undefined)
      values.passwordHash = await this.hasher.hash(changes.password);
    return this.router.write(async (em) => {
      const user = await em.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!user) throw new NotFoundException(`User ${id} not found`);
      return this.withoutHash(await em.save(Object.assign(user, values)));
    });
  }

  async remove(id: string, actor: Actor): Promise<void> {
    this.assertSelfOrAdmin(id, actor);
    const result = await this.router.write((em) => em.delete(User, { id }));
    if (!result.affected) throw new NotFoundException(`User ${id} not found`);
  }

  assertSelfOrAdmin(id: string, actor: Actor): void {
    if (actor.id !== id && actor.role !== 'admin')
      throw new ForbiddenException('You can only act on your own account');
  }

  private withoutHash(user: User): User {
    const { passwordHash: _hash, ...rest } = user;
    return rest as User;
  }
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

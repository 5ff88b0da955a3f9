import { Body, Controller, Delete, Get, HttpCode, Patch } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { UuidParam } from '../common/uuid-param.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserDto } from './dto/user.dto.js';
import { type Actor, UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Auth()
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(404)
  async me(@CurrentUser() actor: Actor): Promise<UserDto> {
    return UserDto.from(await this.users.findById(actor.id));
  }

  @Get(':id')
  @Auth()
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(400, 403, 404)
  async findOne(@UuidParam('id') id: string, @CurrentUser() actor: Actor): Promise<UserDto> {
    this.users.assertSelfOrAdmin(id, actor);
    return UserDto.from(await this.users.findById(id));
  }

  @Patch(':id')
  @Auth()
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(400, 403, 404, 409)
  async update(
    @UuidParam('id') id: string,
    @Body() changes: UpdateUserDto,
    @CurrentUser() actor: Actor,
  ): Promise<UserDto> {
    return UserDto.from(await this.users.update(id, changes, actor));
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: 'Deleted, with every refresh token of the user' })
  @ApiErrors(400, 403, 404)
  async remove(@UuidParam('id') id: string, @CurrentUser() actor: Actor): Promise<void> {
    await this.users.remove(id, actor);
  }
}

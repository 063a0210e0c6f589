import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  MailInboxDetailResponse,
  MailInboxPage,
  MailInboxQuery,
  MailOutboxPage,
  MailOutboxQuery,
  RejectMailRequest,
  ReleaseMailRequest,
} from '#src/messaging/mail/dto/mail.dto.js';
import { MailReviewService } from '#src/messaging/mail/mail-review.service.js';

/** The incident mailbox's received mails and the mail outbox (docs/operations.md#e-mail). */
@ApiTags('Mail')
@Controller('mail')
export class MailController {
  constructor(private readonly mail: MailReviewService) {}

  @Get('inbox')
  @Roles('responder', 'admin')
  @ApiOperation({
    operationId: 'listMailInbox',
    summary: 'List mails received at the incident mailbox',
    description:
      'Newest first. `status=quarantined` is the responders’ review queue: mails from unknown senders, with a From header that is not the envelope sender, that could not be parsed or that the incident intake refused.',
  })
  @ApiOkResponse({ type: MailInboxPage })
  @ApiProblemResponses(400)
  listInbox(@Query() query: MailInboxQuery): Promise<MailInboxPage> {
    return this.mail.listInbox(query);
  }

  @Get('inbox/:id')
  @Roles('responder', 'admin')
  @ApiOperation({
    operationId: 'getMailInbox',
    summary: 'Get one received mail',
    description: 'Its metadata, attachments listed and its text; never the raw message.',
  })
  @ApiOkResponse({ type: MailInboxDetailResponse })
  @ApiProblemResponses(400, 404)
  getInbox(@Param('id', ParseUUIDPipe) id: string): Promise<MailInboxDetailResponse> {
    return this.mail.getInbox(id);
  }

  @Post('inbox/:id/release')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'releaseMailInbox',
    summary: 'File a quarantined mail as an incident report',
    description:
      'For the organization given. The stored message is parsed again and handed to the incident intake (attachments within the limits). 409 unless the mail is quarantined; 422 for an unknown organization.',
  })
  @ApiOkResponse({ type: MailInboxDetailResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422, 503)
  release(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ReleaseMailRequest,
  ): Promise<MailInboxDetailResponse> {
    return this.mail.release(caller, id, body);
  }

  @Post('inbox/:id/reject')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'rejectMailInbox',
    summary: 'Refuse a quarantined mail',
    description: 'It stays stored, `rejected`, with the reason. 409 unless it is quarantined.',
  })
  @ApiOkResponse({ type: MailInboxDetailResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  reject(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RejectMailRequest,
  ): Promise<MailInboxDetailResponse> {
    return this.mail.reject(caller, id, body);
  }

  @Get('outbox')
  @Roles('admin', 'responder', 'auditor')
  @ApiOperation({
    operationId: 'listMailOutbox',
    summary: 'List mails sent or waiting to be sent',
    description:
      'Newest first, without their bodies: topic, recipients, subject, status (pending, sending, sent, failed), attempts and the last error.',
  })
  @ApiOkResponse({ type: MailOutboxPage })
  @ApiProblemResponses(400)
  listOutbox(@Query() query: MailOutboxQuery): Promise<MailOutboxPage> {
    return this.mail.listOutbox(query);
  }
}

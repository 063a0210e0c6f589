/** Labels of the response team's contacts: the public block (sign-in page) and its edit form. */
export const vi = {
  blockTitle: 'Đội ứng cứu sự cố của Sở',
  phone: 'Điện thoại',
  hotline: 'Đường dây nóng',
  email: 'Thư điện tử',
  incidentMailbox: 'Hộp thư báo cáo sự cố',
  editTitle: 'Liên hệ đội ứng cứu sự cố',
  editLead:
    'Hiển thị công khai ở trang đăng nhập và trong thư gửi các đơn vị. Hộp thư báo cáo sự cố do cấu hình của hệ thống quy định.',
  tooLong: 'Tối đa {n} ký tự',
  emailInvalid: 'Địa chỉ thư không hợp lệ',
  saved: 'Đã lưu thông tin liên hệ.',
  notSet: 'Chưa có',
};

export const en: Record<keyof typeof vi, string> = {
  blockTitle: 'The Department’s incident response team',
  phone: 'Phone',
  hotline: 'Hotline',
  email: 'E-mail',
  incidentMailbox: 'Incident report mailbox',
  editTitle: 'Response team contacts',
  editLead:
    'Shown publicly on the sign-in page and in the mail sent to units. The incident mailbox is set by the service’s configuration.',
  tooLong: 'At most {n} characters',
  emailInvalid: 'Not a valid e-mail address',
  saved: 'Contacts saved.',
  notSet: 'Not set',
};

export const team = { vi, en };

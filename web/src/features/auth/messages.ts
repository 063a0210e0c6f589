export const vi = {
  signInTitle: 'Đăng nhập',
  signInLead: 'Dành cho cán bộ Sở, doanh nghiệp viễn thông và cơ quan kiểm tra.',
  email: 'Thư điện tử',
  password: 'Mật khẩu',
  signIn: 'Đăng nhập',
  emailInvalid: 'Nhập địa chỉ thư điện tử hợp lệ',
  passwordRequired: 'Nhập mật khẩu',
  changeTitle: 'Đổi mật khẩu',
  changeLead:
    'Mật khẩu của bạn vừa được đặt lại hoặc bạn muốn đổi mật khẩu. Các phiên khác sẽ bị đăng xuất.',
  currentPassword: 'Mật khẩu hiện tại',
  newPassword: 'Mật khẩu mới (ít nhất 12 ký tự)',
  repeatPassword: 'Nhập lại mật khẩu mới',
  passwordTooShort: 'Mật khẩu mới phải có ít nhất 12 ký tự',
  passwordsDiffer: 'Hai mật khẩu mới không giống nhau',
  changed: 'Đã đổi mật khẩu. Vui lòng đăng nhập lại bằng mật khẩu mới.',
  change: 'Đổi mật khẩu',
  noScreen: 'Tài khoản này không có màn hình nào trong bảng điều khiển.',
};

export const en: Record<keyof typeof vi, string> = {
  signInTitle: 'Sign in',
  signInLead: 'For Department staff, ISP operators and inspecting authorities.',
  email: 'E-mail',
  password: 'Password',
  signIn: 'Sign in',
  emailInvalid: 'Enter a valid e-mail address',
  passwordRequired: 'Enter the password',
  changeTitle: 'Change password',
  changeLead:
    'Your password was reset, or you want a new one. Your other sessions will be signed out.',
  currentPassword: 'Current password',
  newPassword: 'New password (12 characters or more)',
  repeatPassword: 'New password again',
  passwordTooShort: 'The new password needs 12 characters or more',
  passwordsDiffer: 'The two new passwords differ',
  changed: 'Password changed. Sign in again with the new password.',
  change: 'Change password',
  noScreen: 'This account has no screen in the console.',
};

export const auth = { vi, en };
